/**
 * Device locking as cppTango does it: one client (host + process id, from the ClntIdent the _4/_5
 * operations carry) owns the lock for `validity` seconds, renewed by ReLockDevices; other
 * clients can still read and ask State/Status but cannot run commands, write attributes or set
 * their configuration. Answers DevLockStatus in cppTango's words.
 */
import { LockerLanguage } from '../enums.js';
import { devFailed } from '../errors.js';
import type { ClntIdent } from '../idl.js';
import type { Caller } from './model.js';

/** a client: its address and, from IDL 4 operations, its ClntIdent */
export type Client = Caller;

interface Owner {
  readonly host: string;
  readonly shown: string;
  readonly ident: ClntIdent;
  validityS: number;
  until: number;
  count: number;
}

function sameClient(a: Owner, c: Client): boolean {
  if (!c.ident || a.host !== c.host || a.ident.lang !== c.ident.lang) return false;
  if (a.ident.lang === LockerLanguage.CPP && c.ident.lang === LockerLanguage.CPP) return a.ident.pid === c.ident.pid;
  if (a.ident.lang === LockerLanguage.JAVA && c.ident.lang === LockerLanguage.JAVA) return a.ident.uuid[0] === c.ident.uuid[0] && a.ident.uuid[1] === c.ident.uuid[1];
  return false;
}

/** commands any client may run on a locked device */
const ALWAYS_ALLOWED = new Set(['state', 'status']);

export class DeviceLock {
  private owner: Owner | undefined;

  constructor(private readonly deviceName: string) {}

  private current(now: number): Owner | undefined {
    if (this.owner && now > this.owner.until) this.owner = undefined;
    return this.owner;
  }

  /** LockDevice: takes or re-takes (nesting) the lock */
  lock(client: Client, validityS: number, now = Date.now()): void {
    if (!client.ident) throw devFailed('API_ClientTooOld', 'Locking needs a client implementing IDL 4 or more', 'DServer::lock_device');
    const o = this.current(now);
    if (o && !sameClient(o, client)) throw devFailed('API_DeviceLocked', `Device ${this.deviceName} is already locked by another client`, 'DServer::lock_device');
    if (o) {
      o.count++;
      o.validityS = validityS;
      o.until = now + validityS * 1000;
      return;
    }
    // shown as omniORB names the connection ("giop:tcp:<ip>:<port>"): clients parse the IP from it
    const where = client.peer ?? `${client.host}:0`;
    this.owner = { host: client.host, shown: `giop:tcp:${where.includes('::') || where.split(':').length > 2 ? `[${hostPart(where)}]:${portPart(where)}` : where}`, ident: client.ident, validityS, until: now + validityS * 1000, count: 1 };
  }

  /** ReLockDevices: extends the validity of a lock the client holds */
  relock(client: Client, now = Date.now()): void {
    const o = this.current(now);
    if (!o) throw devFailed('API_DeviceUnlocked', `Device ${this.deviceName} is not locked; it can't be re-locked`, 'DServer::re_lock_devices');
    if (!sameClient(o, client)) throw devFailed('API_DeviceLocked', `Device ${this.deviceName} is locked by another client`, 'DServer::re_lock_devices');
    o.until = now + o.validityS * 1000;
  }

  /** UnLockDevice: undoes one lock (force: every lock, whoever owns it); returns the remaining count */
  unlock(client: Client, force: boolean, now = Date.now()): number {
    const o = this.current(now);
    if (!o) return 0;
    if (!force && !sameClient(o, client)) throw devFailed('API_DeviceLocked', `Device ${this.deviceName} is locked by another client, can't unlock it`, 'DServer::un_lock_device');
    o.count = force ? 0 : o.count - 1;
    if (o.count <= 0) this.owner = undefined;
    return Math.max(o.count, 0);
  }

  /** Refuses an operation that changes the device when another client holds the lock. */
  check(client: Client, operation: string, command?: string, now = Date.now()): void {
    const o = this.current(now);
    if (!o || sameClient(o, client)) return;
    if (command && ALWAYS_ALLOWED.has(command.toLowerCase())) return;
    throw devFailed('API_DeviceLocked', `Device ${this.deviceName} is locked by another client`, `Device_Impl::${operation}`);
  }

  /** DevLockStatus: lvalue [locked, pid, uuid...], svalue [text, host, java main class] */
  status(now = Date.now()): { lvalue: number[]; svalue: string[] } {
    const o = this.current(now);
    if (!o) return { lvalue: [0, 0, 0, 0, 0, 0], svalue: [`Device ${this.deviceName} is not locked`, 'Not defined', 'Not defined'] };
    if (o.ident.lang === LockerLanguage.CPP) {
      return {
        lvalue: [1, o.ident.pid, 0, 0, 0, 0],
        svalue: [`Device ${this.deviceName} is locked by CPP or Python client with PID ${o.ident.pid} from host ${o.shown}`, o.shown, 'Not defined'],
      };
    }
    const [a, b] = o.ident.uuid;
    const words = [Number(BigInt.asIntN(32, a >> 32n)), Number(BigInt.asIntN(32, a)), Number(BigInt.asIntN(32, b >> 32n)), Number(BigInt.asIntN(32, b))];
    return {
      lvalue: [1, 0, ...words],
      svalue: [`Device ${this.deviceName} is locked by Java client class ${o.ident.mainClass} from host ${o.shown}`, o.shown, o.ident.mainClass],
    };
  }

  get locked(): boolean {
    return this.current(Date.now()) !== undefined;
  }
}

function hostPart(peer: string): string {
  return peer.slice(0, peer.lastIndexOf(':'));
}

function portPart(peer: string): string {
  return peer.slice(peer.lastIndexOf(':') + 1);
}
