/**
 * The configuration plan: what tag handlers build from the XML before anything is written. The
 * engine validates the whole document into this plan first, so a configuration that fails to
 * parse writes nothing; then it materialises the plan into the sink and the phase pools.
 */
import type { ExtensionBase } from '../api/extensions.js';
import type { InputLimits } from '../api/limits.js';
import type { ElementType, NxValue } from '../api/values.js';
import type { XmlElement } from '../api/xml.js';
import type { FilterSpec } from '../api/extensions.js';

export type Mode = 'INIT' | 'STEP' | 'FINAL' | 'POSTRUN' | (string & {});

export interface StrategyPlan {
  readonly mode: Mode;
  readonly trigger?: string;
  /** 1-based record axis (spec: grows) */
  readonly grows?: number;
  /** explicit canfail="true"/"false"; undefined when not given */
  readonly canfail?: boolean;
  readonly filters: readonly FilterSpec[];
  /** the strategy text: the POSTRUN label */
  readonly postrun?: string;
  readonly el: XmlElement;
}

export interface SourcePlan {
  readonly type: string;
  readonly name?: string;
  readonly el: XmlElement;
}

/** one axis: a number, unknown (inferred from data), or a datasource read at configuration time */
export type DimPlan = number | undefined | SourcePlan;

export interface DimensionsPlan {
  readonly rank: number;
  readonly dims: readonly DimPlan[];
}

interface ValuePlanBase {
  readonly name: string;
  /** the NX type name as written (undefined: none) */
  readonly nxType: string | undefined;
  readonly type: ElementType;
  readonly dimensions: DimensionsPlan | undefined;
  readonly text: string;
  readonly source: SourcePlan | undefined;
  readonly strategy: StrategyPlan | undefined;
  readonly el: XmlElement;
}

export interface FieldPlan extends ValuePlanBase {
  readonly kind: 'field';
  /** the tag's XML attributes except name, written as HDF5 attributes */
  readonly xmlAttributes: Readonly<Record<string, string>>;
  readonly attributes: readonly AttributePlan[];
  /** a value computed by a plugin's tag handler, written as static data */
  readonly staticValue?: NxValue;
}

export interface AttributePlan extends ValuePlanBase {
  readonly kind: 'attribute';
}

export interface GroupPlan {
  readonly kind: 'group';
  readonly name: string;
  readonly nxClass: string;
  readonly xmlAttributes: Readonly<Record<string, string>>;
  readonly attributes: readonly AttributePlan[];
  readonly children: readonly PlanNode[];
  readonly el: XmlElement;
}

export interface LinkPlan {
  readonly kind: 'link';
  readonly name: string;
  /** static target (attribute or text); undefined when it comes from a datasource */
  readonly target: string | undefined;
  readonly source: SourcePlan | undefined;
  readonly strategy: StrategyPlan | undefined;
  readonly el: XmlElement;
}

export type PlanNode = GroupPlan | FieldPlan | LinkPlan | AttributePlan;

/** What a child tag contributes to its parent. */
export type BuildResult =
  | { readonly kind: 'node'; readonly node: PlanNode }
  | { readonly kind: 'strategy'; readonly strategy: StrategyPlan }
  | { readonly kind: 'dimensions'; readonly dimensions: DimensionsPlan }
  | { readonly kind: 'dim'; readonly index: number; readonly dim: DimPlan }
  | { readonly kind: 'filter'; readonly index: number; readonly filter: FilterSpec }
  | { readonly kind: 'datasource'; readonly source: SourcePlan }
  | { readonly kind: 'none' };

export interface BuildContext {
  /** the bounds the configuration must respect (rank, sizes) */
  readonly limits: InputLimits;
  /** builds every child element through its tag handler (unknown tags are errors) */
  buildChildren(el: XmlElement): BuildResult[];
  /** throws a CONFIG_INVALID ConfigError at the element's location */
  fail(el: XmlElement, message: string): never;
}

/**
 * A tag handler builds one element of the plan from its XML element. `parents` restricts where
 * the tag may appear (undefined: anywhere).
 */
export interface TagHandler extends ExtensionBase {
  readonly kind: 'tag';
  readonly parents?: readonly string[];
  build(el: XmlElement, ctx: BuildContext): BuildResult;
}
