/** The validated pipeline model: what the YAML loader and the TypeScript builder both produce. */

export type TestLevel = 'error' | 'warning' | 'log';
export const TEST_LEVELS: readonly TestLevel[] = ['error', 'warning', 'log'];

export type DataLakeBucket = 'landing' | 'raw' | 'curated';
export const DATA_LAKE_BUCKETS: readonly DataLakeBucket[] = ['landing', 'raw', 'curated'];

/** A rule a test's value is checked against. `in_control` compares with the test's own recorded history. */
export type TestRule =
  | { readonly kind: 'equals'; readonly value: number }
  | { readonly kind: 'not_equals'; readonly value: number }
  | { readonly kind: 'min'; readonly value: number }
  | { readonly kind: 'max'; readonly value: number }
  | { readonly kind: 'between'; readonly min: number; readonly max: number }
  | {
      readonly kind: 'in_control';
      /**
       * Allowed distance from the baseline's median, in robust standard deviations (interquartile range / 1.349),
       * widened for a small baseline (lib/pipeline/sql.ts `IN_CONTROL_SMALL_SAMPLE`).
       */
      readonly k: number;
      /** How many of the most recent recorded values form the baseline. */
      readonly last: number;
      /** Fewer recorded values than this: the test passes and says it is still learning. */
      readonly minHistory: number;
      /** The band is at least median +/- this much (absolute), so a near-constant series is not flagged. */
      readonly tolerance: number;
      /** The band is at least median +/- this fraction of |median| (0.01 = 1%). */
      readonly relativeTolerance: number;
    };

export interface TestDefinition {
  /** Readable and unique in the pipeline: the state is named `Test: <name>`. */
  readonly name: string;
  /** SQL returning one row with one numeric value. */
  readonly query: string;
  readonly rule: TestRule;
  readonly level: TestLevel;
  readonly timeoutSeconds: number;
}

interface StepBase {
  readonly id: string;
  /** Readable name used in state names and alerts. */
  readonly name: string;
  readonly after: readonly string[];
  readonly tests: readonly TestDefinition[];
  readonly timeoutMinutes: number;
}

export interface ContainerStep extends StepBase {
  readonly type: 'container';
  /** Name of a container app in kitchens.config.yaml (and of the container in its task definition). */
  readonly app: string;
  readonly command?: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
}

export interface SqlStep extends StepBase {
  readonly type: 'sql';
  /** One statement runs with ExecuteStatement, several in one transaction with BatchExecuteStatement. */
  readonly statements: readonly string[];
  /** Longest wait between polls of the statement (polls start at 1 s and back off: lib/pipeline/limits.ts). */
  readonly pollSeconds: number;
}

export interface DataLakeLocation {
  readonly bucket: DataLakeBucket;
  /** Key prefix inside the bucket; the environment's or Kitchen's data prefix is added in front. */
  readonly prefix: string;
}

/** Copies every object under `from.prefix` to the same key in the `to` bucket, server-side. */
export interface CopyStep extends StepBase {
  readonly type: 'copy';
  readonly from: DataLakeLocation;
  readonly to: { readonly bucket: DataLakeBucket };
  /** At most 1000. The step fails before copying when the source holds more objects (bounds the history). */
  readonly maxObjects: number;
}

export type StepDefinition = ContainerStep | SqlStep | CopyStep;
export type StepType = StepDefinition['type'];

export interface PipelineDefinition {
  readonly id: string;
  readonly description?: string;
  /** EventBridge schedule expression, e.g. `cron(0 5 * * ? *)`. */
  readonly schedule?: string;
  readonly steps: readonly StepDefinition[];
  /** Where the definition came from, for messages: a file path or `pipeline "id" (builder)`. */
  readonly source: string;
}

/** What a pipeline is validated against: the container apps and the variables that exist. */
export interface PipelineContext {
  /** Names of the container apps of kitchens.config.yaml. */
  readonly apps: readonly string[];
  /** Variable names a pipeline may use as `{{name}}`; defaults to STANDARD_VARIABLES. */
  readonly variables?: readonly string[];
}
