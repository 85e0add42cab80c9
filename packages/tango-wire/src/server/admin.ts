/**
 * The admin device dserver/<executable>/<instance> (class DServer) every Tango device server has,
 * with cppTango 9.3's 32 commands: what the process serves and restarting its devices; events
 * (ZmqEventSubscriptionChange, EventConfirmSubscription, and the notifd EventSubscriptionChange
 * answered as a cppTango server without a notifd answers it); polling (AddObjPolling … DevPollStatus,
 * kept in the polled_attr/polled_cmd properties); locking; logging.
 */
import { CmdArgType, DevState } from '../enums.js';
import { devFailed } from '../errors.js';
import type { LongStringArray } from '../command-args.js';
import type { CommandSpec, TangoDevice, WizardProperty } from './model.js';
import type { DeviceServant } from './servant.js';
import type { DevicePoller, PolledKind } from './polling.js';
import type { Client } from './lock.js';
import type { LoggingControl } from './logging.js';
import { ZMQ_RELEASE, ZMQ_SUB_HWM, type ZmqEventSupplier } from './zmq-supplier.js';

/** cppTango 9.3.4's release number, which clients compare feature levels against */
export const TANGO_LIB_RELEASE = 934;
const ORIGIN = 'DServer';

export interface AdminHost {
  readonly serverName: string;
  readonly adminName: string;
  /** the served devices (not the admin device) */
  devices(): readonly TangoDevice[];
  /** the servant of a served device, or undefined */
  servant(name: string): DeviceServant | undefined;
  /** the admin device's own servant: clients subscribe to its events too */
  adminServant?(): DeviceServant | undefined;
  /** re-creates / re-initialises one device */
  restartDevice(name: string): Promise<void>;
  /** stops the process's serving (Kill) */
  kill(): void;
  /** the event publisher (started on first use); undefined when the process publishes no events */
  readonly events?: () => Promise<ZmqEventSupplier>;
  readonly logging?: LoggingControl;
}

type Exec = (arg: unknown, client: Client) => unknown;

function cmd(name: string, inType: CmdArgType, out: CmdArgType, execute: Exec, inDesc?: string, outDesc?: string): CommandSpec {
  return { name, in: inType, out, execute, inDesc, outDesc };
}

const { DevVoid, DevString, DevLong, DevVarStringArray, DevVarLongStringArray } = CmdArgType;

export class AdminDevice implements TangoDevice {
  readonly className = 'DServer';
  readonly description = 'The device server administration device';
  // cppTango's admin device pushes nothing: an event subscription to its State wants polling
  // (Taurus then polls it, as it does TangoTest's)
  readonly pushesStateEvents = false;
  private pollingOn = true;

  constructor(private readonly host: AdminHost) {}

  get name(): string {
    return this.host.adminName;
  }

  state(): DevState {
    return DevState.ON;
  }

  status(): string {
    return `The device is ON\nThe polling is ${this.pollingOn ? 'ON' : 'OFF'}`;
  }

  attributes() {
    return [];
  }

  private servant(name: unknown, origin: string): DeviceServant {
    const s = this.host.servant(String(name));
    if (!s) throw devFailed('API_DeviceNotFound', `Device ${String(name)} not found in this device server (${this.host.serverName})`, `${ORIGIN}::${origin}`);
    return s;
  }

  /** the device an event command names: a served one or this admin device */
  private eventTarget(name: unknown, origin: string): DeviceServant {
    const own = String(name).toLowerCase() === this.host.adminName.toLowerCase() ? this.host.adminServant?.() : undefined;
    return own ?? this.servant(name, origin);
  }

  commands(): CommandSpec[] {
    return [...this.serverCommands(), ...this.eventCommands(), ...this.pollingCommands(), ...this.lockCommands(), ...(this.host.logging?.commands(this.host) ?? [])];
  }

  private serverCommands(): CommandSpec[] {
    const h = this.host;
    const classes = (): string[] => [...new Set(h.devices().map((d) => d.className))];
    const restartAll = async () => {
      for (const d of h.devices()) await h.restartDevice(d.name);
    };
    const empty = (name: string, inType = DevVoid): CommandSpec => cmd(name, inType, DevVarStringArray, () => []);
    /** QueryWizardDevProperty / QueryWizardClassProperty: name, description, default triplets */
    const wizard = (name: string, origin: string, of: (d: TangoDevice) => readonly WizardProperty[]): CommandSpec =>
      cmd(name, DevString, DevVarStringArray, (arg) => {
        const cls = String(arg).toLowerCase();
        const dev = h.devices().find((d) => d.className.toLowerCase() === cls);
        if (!dev) throw devFailed('API_ClassNotFound', `Class ${cls} not found in device server`, `${ORIGIN}::${origin}`);
        return of(dev).flatMap((p) => [p.name, p.description, p.default ?? 'Not specified']);
      }, 'Class name', 'Property name, description and default value for each property');
    return [
      cmd('Init', DevVoid, DevVoid, restartAll),
      cmd('RestartServer', DevVoid, DevVoid, restartAll),
      cmd('DevRestart', DevString, DevVoid, async (arg) => {
        await h.restartDevice(this.servant(arg, 'dev_restart').name);
      }, 'Device name'),
      cmd('QueryClass', DevVoid, DevVarStringArray, classes, undefined, 'Device server class(es) list'),
      cmd('QueryDevice', DevVoid, DevVarStringArray, () => h.devices().map((d) => `${d.className}::${d.name}`), undefined, 'Device server device(s) list'),
      empty('QuerySubDevice'),
      // no class properties: a class has only its device properties
      wizard('QueryWizardClassProperty', 'query_class_prop', () => []),
      wizard('QueryWizardDevProperty', 'query_dev_prop', (d) => d.wizardProperties ?? []),
      // answer first, then stop
      cmd('Kill', DevVoid, DevVoid, () => { setTimeout(() => h.kill(), 50); }),
    ];
  }

  private eventCommands(): CommandSpec[] {
    const h = this.host;
    const supplier = (): Promise<ZmqEventSupplier> => {
      if (!h.events) throw devFailed('API_NotSupported', 'This device server publishes no events', `${ORIGIN}::zmq_event_subscription_change`);
      return h.events();
    };
    return [
      cmd('ZmqEventSubscriptionChange', DevVarStringArray, DevVarLongStringArray, async (arg) => {
        const a = arg as string[];
        if (a.length === 1 && a[0].toLowerCase() === 'info') {
          const ev = await supplier();
          return { lvalue: [], svalue: [`Heartbeat: ${ev.heartbeatEndpoint}`, `Event: ${ev.eventEndpoint}`] } satisfies LongStringArray;
        }
        if (a.length < 4) {
          throw devFailed('API_WrongNumberOfArgs', 'Not enough input arguments, needs at least 4 i.e. device name, attribute name, action, event name, <Tango lib release>', `${ORIGIN}::zmq_event_subscription_change`);
        }
        // the action is always "subscribe": clients unsubscribe by no longer confirming
        const [dev, attr, , event] = a;
        const release = a.length > 4 ? Number(a[4]) : undefined;
        const s = this.eventTarget(dev, 'event_subscription');
        const ev = await supplier();
        const topic = s.subscribe(attr, event, release);
        ev.initCounter(topic);
        ev.newClient();
        return {
          lvalue: [TANGO_LIB_RELEASE, 5, ZMQ_SUB_HWM, 0, 0, ZMQ_RELEASE],
          svalue: [ev.heartbeatEndpoint, ev.eventEndpoint, topic, ev.heartbeatChannel],
        } satisfies LongStringArray;
      }, 'Event consumer wants to subscribe to', 'Str[0] = Heartbeat pub endpoint - Str[1] = Event pub endpoint - ...'),
      cmd('EventConfirmSubscription', DevVarStringArray, DevVoid, (arg) => {
        const a = arg as string[];
        if (a.length === 0 || a.length % 3 !== 0) {
          throw devFailed('API_WrongNumberOfArgs', 'Wrong number of input arguments: 3 needed per event: device name, attribute name and event name', `${ORIGIN}::event_confirm_subscription`);
        }
        for (let i = 0; i < a.length; i += 3) this.eventTarget(a[i], 'event_confirm_subscription').subscribe(a[i + 1], a[i + 2]);
      }),
      cmd('EventSubscriptionChange', DevVarStringArray, DevLong, (arg) => {
        const a = arg as string[];
        if (a.length < 4) {
          throw devFailed('API_WrongNumberOfArgs', 'Not enough input arguments, needs 4 i.e. device name, attribute name, action, event name', `${ORIGIN}::event_subscription_change`);
        }
        // cppTango 9.3 without a notifd: the subscription checks refuse what they refuse, the rest is
        // answered with the library release although no notifd event will ever come
        this.eventTarget(a[0], 'event_subscription').events.check(a[1], a[3], 4);
        return TANGO_LIB_RELEASE;
      }, 'Event consumer wants to subscribe to', 'Tango lib release'),
    ];
  }

  private pollingCommands(): CommandSpec[] {
    const h = this.host;
    const target = (svalue: readonly string[], origin: string): { s: DeviceServant; kind: PolledKind; name: string } => {
      if (svalue.length < 3) throw devFailed('API_WrongNumberOfArgs', 'Incorrect number of inout arguments: device name, object type, object name', `${ORIGIN}::${origin}`);
      const type = svalue[1].toLowerCase();
      if (type !== 'attribute' && type !== 'command') throw devFailed('API_NotSupported', `Object type ${svalue[1]} not supported (attribute or command)`, `${ORIGIN}::${origin}`);
      return { s: this.servant(svalue[0], origin), kind: type, name: svalue[2] };
    };
    /** AddObjPolling / UpdObjPollingPeriod: Lg[0] period, Str[0..2] device, type, name; the database follows */
    const withPeriod = (name: string, origin: string, apply: (p: DevicePoller, kind: PolledKind, obj: string, period: number) => void): CommandSpec =>
      cmd(name, DevVarLongStringArray, DevVoid, async (arg) => {
        const v = arg as LongStringArray;
        const t = target(v.svalue, origin);
        if (v.lvalue.length < 1) throw devFailed('API_WrongNumberOfArgs', 'Incorrect number of inout arguments: the polling period', `${ORIGIN}::${origin}`);
        apply(t.s.poller, t.kind, t.name, Number(v.lvalue[0]));
        await t.s.savePolling(t.kind);
      }, 'Lg[0]=Upd period. Str[0]=Device name. Str[1]=Object type. Str[2]=Object name');
    return [
      withPeriod('AddObjPolling', 'add_obj_polling', (p, kind, obj, period) => p.add(kind, obj, period)),
      withPeriod('UpdObjPollingPeriod', 'upd_obj_polling_period', (p, kind, obj, period) => p.update(kind, obj, period)),
      cmd('RemObjPolling', DevVarStringArray, DevVoid, async (arg) => {
        const t = target(arg as string[], 'rem_obj_polling');
        t.s.poller.remove(t.kind, t.name);
        await t.s.savePolling(t.kind);
      }, 'Str[0]=Device name. Str[1]=Object type. Str[2]=Object name'),
      cmd('StartPolling', DevVoid, DevVoid, () => {
        this.pollingOn = true;
        for (const d of h.devices()) h.servant(d.name)?.poller.start();
      }),
      cmd('StopPolling', DevVoid, DevVoid, () => {
        this.pollingOn = false;
        for (const d of h.devices()) h.servant(d.name)?.poller.stop();
      }),
      cmd('PolledDevice', DevVoid, DevVarStringArray, () => h.devices().filter((d) => !h.servant(d.name)?.poller.isEmpty).map((d) => d.name),
        undefined, 'Polled device name list'),
      cmd('DevPollStatus', DevString, DevVarStringArray, (arg) => this.servant(arg, 'dev_poll_status').poller.status(), 'Device name', 'Device polling status'),
    ];
  }

  private lockCommands(): CommandSpec[] {
    return [
      cmd('LockDevice', DevVarLongStringArray, DevVoid, (arg, client) => {
        const v = arg as LongStringArray;
        if (v.svalue.length !== 1 || v.lvalue.length !== 1) throw devFailed('API_WrongNumberOfArgs', 'Wrong number of input arguments: the device name and the lock validity', `${ORIGIN}::lock_device`);
        this.servant(v.svalue[0], 'lock_device').lock.lock(client, Number(v.lvalue[0]));
      }, 'Str[0] = Device name. Lg[0] = Lock validity'),
      cmd('UnLockDevice', DevVarLongStringArray, DevLong, (arg, client) => {
        const v = arg as LongStringArray;
        const force = Number(v.lvalue[0] ?? 0) !== 0;
        let left = 0;
        for (const d of v.svalue) left = this.servant(d, 'un_lock_device').lock.unlock(client, force);
        return left;
      }, 'Str[x] = Device name(s). Lg[0] = Force flag', 'Device global lock counter'),
      cmd('ReLockDevices', DevVarStringArray, DevVoid, (arg, client) => {
        for (const d of arg as string[]) this.servant(d, 're_lock_devices').lock.relock(client);
      }, 'Device(s) name'),
      cmd('DevLockStatus', DevString, DevVarLongStringArray, (arg) => this.servant(arg, 'dev_lock_status').lock.status(), 'Device name', 'Device locking status'),
    ];
  }

  async init(): Promise<void> {
    for (const d of this.host.devices()) await this.host.restartDevice(d.name);
  }
}
