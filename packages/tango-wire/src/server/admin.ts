/**
 * The admin device dserver/<executable>/<instance> (class DServer) every Tango device server has:
 * the commands clients and tango_admin use to ask what the process serves and to re-initialise
 * its devices. Polling, logging and events are not offered (their commands are absent, so
 * clients get API_CommandNotFound).
 */
import { CmdArgType, DevState } from '../enums.js';
import { devFailed } from '../errors.js';
import type { CommandSpec, TangoDevice } from './model.js';

export interface AdminHost {
  readonly serverName: string;
  readonly adminName: string;
  /** the served devices (not the admin device) */
  devices(): readonly TangoDevice[];
  /** re-creates / re-initialises one device */
  restartDevice(name: string): Promise<void>;
  /** stops the process's serving (Kill) */
  kill(): void;
}

export class AdminDevice implements TangoDevice {
  readonly className = 'DServer';
  readonly description = 'The device server administration device';

  constructor(private readonly host: AdminHost) {}

  get name(): string {
    return this.host.adminName;
  }

  state(): DevState {
    return DevState.ON;
  }

  status(): string {
    return 'The device is ON\nThe polling is OFF';
  }

  attributes() {
    return [];
  }

  commands(): CommandSpec[] {
    const h = this.host;
    const classes = (): string[] => [...new Set(h.devices().map((d) => d.className))];
    const restartAll = async () => {
      for (const d of h.devices()) await h.restartDevice(d.name);
    };
    const none = (name: string, out = CmdArgType.DevVarStringArray): CommandSpec => ({ name, in: CmdArgType.DevVoid, out, execute: () => [] });
    return [
      { name: 'Init', in: CmdArgType.DevVoid, out: CmdArgType.DevVoid, execute: restartAll },
      { name: 'RestartServer', in: CmdArgType.DevVoid, out: CmdArgType.DevVoid, execute: restartAll },
      {
        name: 'DevRestart', in: CmdArgType.DevString, out: CmdArgType.DevVoid, inDesc: 'Device name',
        execute: async (arg) => {
          const name = String(arg).toLowerCase();
          const d = h.devices().find((x) => x.name.toLowerCase() === name);
          if (!d) throw devFailed('API_DeviceNotFound', `Device ${String(arg)} is not served by ${h.serverName}`, `${h.adminName}: DevRestart`);
          await h.restartDevice(d.name);
        },
      },
      { name: 'QueryClass', in: CmdArgType.DevVoid, out: CmdArgType.DevVarStringArray, outDesc: 'Device server class(es) list', execute: classes },
      {
        name: 'QueryDevice', in: CmdArgType.DevVoid, out: CmdArgType.DevVarStringArray, outDesc: 'Device server device(s) list',
        execute: () => h.devices().map((d) => `${d.className}::${d.name}`),
      },
      none('QuerySubDevice'),
      { name: 'QueryWizardClassProperty', in: CmdArgType.DevString, out: CmdArgType.DevVarStringArray, execute: () => [] },
      { name: 'QueryWizardDevProperty', in: CmdArgType.DevString, out: CmdArgType.DevVarStringArray, execute: () => [] },
      none('PolledDevice'),
      { name: 'DevPollStatus', in: CmdArgType.DevString, out: CmdArgType.DevVarStringArray, execute: () => [] },
      {
        name: 'Kill', in: CmdArgType.DevVoid, out: CmdArgType.DevVoid,
        // answer first, then stop
        execute: () => { setTimeout(() => h.kill(), 50); },
      },
    ];
  }

  async init(): Promise<void> {
    for (const d of this.host.devices()) await this.host.restartDevice(d.name);
  }
}
