/**
 * Types for the parts of tangojs-core 0.4.0 (an untyped UMD bundle) this package uses: the
 * Connector base class, the api proxies and value classes, and the tango enums.
 */
declare module 'tangojs-core' {
  /** a frozen IDL enum constant */
  export interface EnumConstant {
    readonly key: string;
    readonly value: number;
  }
  export type TangoEnum = { readonly [key: string]: EnumConstant } & { fromValue(value: number): EnumConstant | undefined };

  export interface TimeValData { tv_sec: number; tv_usec: number; tv_nsec: number }
  export interface AttributeDimData { dim_x: number; dim_y: number }
  export interface DevErrorData { reason: string; severity: EnumConstant | number; desc: string; origin: string }

  export interface DeviceAttributeData {
    name: string;
    value?: unknown;
    quality?: EnumConstant;
    data_format?: EnumConstant;
    /** the CmdArgType number of the element type */
    data_type?: number;
    time?: TimeValData;
    r_dim?: AttributeDimData;
    w_dim?: AttributeDimData;
    err_list?: DevErrorData[];
  }

  export class DeviceAttribute {
    constructor(data: DeviceAttributeData);
    readonly value: unknown;
    readonly quality: EnumConstant;
    readonly data_format: EnumConstant;
    readonly data_type: number;
    readonly time: TimeValData;
    readonly name: string;
    readonly r_dim: AttributeDimData;
    readonly w_dim: AttributeDimData;
    readonly err_list: DevErrorData[];
  }

  export class DeviceData {
    constructor(value?: unknown);
    value: unknown;
  }

  export class DbDatum {
    constructor(name: string, value: unknown);
    name: string;
    value: unknown;
  }

  export class CommandInfo {
    constructor(data: { cmd_name: string; level: EnumConstant; cmd_tag: number; in_type: number; out_type: number; in_type_desc: string; out_type_desc: string });
    readonly cmd_name: string;
    readonly level: EnumConstant;
    readonly cmd_tag: number;
    readonly in_type: number;
    readonly out_type: number;
    readonly in_type_desc: string;
    readonly out_type_desc: string;
  }

  export class AttributeInfo {
    constructor(data: Record<string, unknown>);
    readonly name: string;
    readonly writable: EnumConstant;
    readonly data_format: EnumConstant;
    readonly data_type: number;
    readonly max_dim_x: number;
    readonly max_dim_y: number;
    readonly description: string;
    readonly label: string;
    readonly unit: string;
    readonly format: string;
    readonly min_value: string;
    readonly max_value: string;
    readonly enum_labels: string[];
  }

  export class DeviceInfo {
    constructor(data: Record<string, unknown>);
    readonly classname: string;
    readonly exported: boolean;
    readonly hostname: string;
    readonly ior: string;
    readonly is_taco: boolean;
    readonly name: string;
    readonly pid: number;
    readonly server: string;
    readonly version: string;
  }

  export class DeviceProxy {
    constructor(devname: string);
    name(): Promise<string>;
    status(): Promise<string>;
    state(): Promise<EnumConstant>;
    get_info(): Promise<DeviceInfo>;
    command_query(cmd: string): Promise<CommandInfo>;
    command_list_query(): Promise<CommandInfo[]>;
    get_property_list(pattern: string): Promise<string[]>;
    get_property(names: string): Promise<DbDatum>;
    get_property(names: string[]): Promise<DbDatum[]>;
    put_property(props: DbDatum | DbDatum[]): Promise<undefined>;
    delete_property(names: string | string[]): Promise<undefined>;
    get_attribute_list(): Promise<string[]>;
    get_attribute_info(names: string): Promise<AttributeInfo>;
    get_attribute_info(names?: string[]): Promise<AttributeInfo[]>;
    read_attribute(name: string): Promise<DeviceAttribute>;
    read_attribute(names: string[]): Promise<DeviceAttribute[]>;
    write_attribute(attr: DeviceAttribute | DeviceAttribute[]): Promise<undefined>;
    write_read_attribute(attr: DeviceAttribute): Promise<DeviceAttribute>;
    write_read_attribute(attr: DeviceAttribute[]): Promise<DeviceAttribute[]>;
    command_inout(cmd: string, argin?: DeviceData): Promise<DeviceData>;
  }

  export class AttributeProxy {
    constructor(devname: string, attname: string);
    get_info(): Promise<AttributeInfo>;
    read(): Promise<DeviceAttribute>;
    write(attr: DeviceAttribute): Promise<undefined>;
  }

  export class CommandProxy {
    constructor(devname: string, cmdname: string);
    get_info(): Promise<CommandInfo>;
    inout(argin?: DeviceData): Promise<DeviceData>;
  }

  export class Database {
    get_device_list(pattern: string): Promise<string[]>;
    get_device_domain(pattern: string): Promise<string[]>;
    get_device_family(pattern: string): Promise<string[]>;
    get_device_member(pattern: string): Promise<string[]>;
  }

  /** the backend every api call goes to; the base class's methods do nothing */
  export class Connector {
    get_device_status(devname: string): Promise<string>;
    get_device_state(devname: string): Promise<EnumConstant>;
    get_device_info(devname: string): Promise<DeviceInfo>;
    get_device_list(pattern: string): Promise<string[]>;
    get_device_domain(pattern: string): Promise<string[]>;
    get_device_family(pattern: string): Promise<string[]>;
    get_device_member(pattern: string): Promise<string[]>;
    get_device_property_list(devname: string, pattern: string): Promise<string[]>;
    get_device_property(devname: string, propnames: string[]): Promise<DbDatum[]>;
    put_device_property(devname: string, properties: DbDatum[]): Promise<undefined>;
    delete_device_property(devname: string, propnames: string[]): Promise<undefined>;
    get_device_attribute_list(devname: string): Promise<string[]>;
    get_device_attribute_info(devname: string, attnames: string[]): Promise<AttributeInfo[]>;
    read_device_attribute(devname: string, attnames: string[]): Promise<DeviceAttribute[]>;
    write_device_attribute(devname: string, attrs: DeviceAttribute[]): Promise<undefined>;
    write_read_device_attribute(devname: string, attrs: DeviceAttribute[]): Promise<DeviceAttribute[]>;
    device_command_inout(devname: string, cmdname: string, argin?: DeviceData): Promise<DeviceData>;
    device_command_query(devname: string, cmdname: string): Promise<CommandInfo>;
    device_command_list_query(devname: string): Promise<CommandInfo[]>;
  }

  export function setConnector(connector: Connector): void;

  export const api: {
    AttributeInfo: typeof AttributeInfo;
    AttributeProxy: typeof AttributeProxy;
    CommandInfo: typeof CommandInfo;
    CommandProxy: typeof CommandProxy;
    Database: typeof Database;
    DbDatum: typeof DbDatum;
    DeviceAttribute: typeof DeviceAttribute;
    DeviceData: typeof DeviceData;
    DeviceInfo: typeof DeviceInfo;
    DeviceProxy: typeof DeviceProxy;
  };

  export const tango: {
    DevState: TangoEnum;
    AttrQuality: TangoEnum;
    AttrDataFormat: TangoEnum;
    AttrWriteType: TangoEnum;
    DispLevel: TangoEnum;
    ErrSeverity: TangoEnum;
    [name: string]: unknown;
  };

  const tangojs: { api: typeof api; tango: typeof tango; Connector: typeof Connector; setConnector: typeof setConnector };
  export default tangojs;
}
