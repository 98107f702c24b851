/**
 * A TypeScript builder for pipelines. It produces the same raw document a YAML file holds and validates it with
 * the same code, so both routes give the same model and the same error messages.
 *
 * ```ts
 * const orders = new PipelineBuilder('orders')
 *   .copy('land-to-raw', { from: { bucket: 'landing', prefix: 'orders/' }, to: { bucket: 'raw', prefix: 'orders/' } })
 *   .sql('build-curated', { after: ['land-to-raw'], sql: 'INSERT INTO ...', tests: [{ name: 'orders row count', query: 'SELECT COUNT(*) FROM ...', rule: { min: 1 } }] })
 *   .build({ apps: ['ingest'] });
 * ```
 */
import type { DataLakeLocation, PipelineContext, PipelineDefinition, TestLevel } from './model';
import { parsePipeline } from './loader';

/** A data test run after a step: a query returning one number, checked against one rule. */
export interface TestInput {
  /** Readable name, unique in the pipeline; the test's state is named `Test: <name>`. */
  readonly name: string;
  /** SQL returning one row with one numeric value; `{{variables}}` are substituted. */
  readonly query: string;
  /** What the value is checked against. Set exactly one of the fields. */
  readonly rule: {
    /** The value must equal this number. @default - not this rule */
    readonly equals?: number;
    /** The value must differ from this number. @default - not this rule */
    readonly not_equals?: number;
    /** The value must be at least this number. @default - not this rule */
    readonly min?: number;
    /** The value must be at most this number. @default - not this rule */
    readonly max?: number;
    /** The value must lie in `[min, max]`, both included. @default - not this rule */
    readonly between?: readonly [number, number];
    /**
     * The value must lie within a band around the median of the test's own recent passed values (its recorded
     * history). `true` takes every setting's default.
     *
     * @default - not this rule
     */
    readonly in_control?:
      | true
      | {
          /**
           * Half-width of the band around the baseline's median, in robust standard deviations (interquartile range /
           * 1.349), widened for a small baseline. @default 3
           */
          readonly k?: number;
          /** How many of the most recent passed values form the baseline (at most 1000). @default 20 */
          readonly last?: number;
          /**
           * With fewer recorded values than this the test passes and reports that it is still learning (at most 1000).
           *
           * @default 5
           */
          readonly min_history?: number;
          /** The band is never narrower than median +/- this absolute amount. @default 0 - no absolute floor */
          readonly tolerance?: number;
          /** The band is never narrower than median +/- this fraction of the median's magnitude (0.01 = 1%), from 0 to 1. @default 0.01 */
          readonly relative_tolerance?: number;
        };
  };
  /**
   * What a failure does: `error` alerts and fails the run, `warning` alerts and lets the run continue, `log` only
   * records the result.
   *
   * @default 'error' - a failed test alerts and fails the run
   */
  readonly level?: TestLevel;
  /** How long the test's query may run before the test errors. @default 300 seconds */
  readonly timeoutSeconds?: number;
}

interface StepInput {
  /** Readable name used in state names and alerts. @default - the id with hyphens as spaces, capitalised */
  readonly name?: string;
  /** Ids of the steps that must finish before this one starts. @default - no dependencies: the step starts with the pipeline */
  readonly after?: readonly string[];
  /** Tests run after the step succeeds. @default - no tests */
  readonly tests?: readonly TestInput[];
  /** How long the step may run before it fails. @default - 120 for container steps, 30 for sql and copy steps */
  readonly timeoutMinutes?: number;
}

/** A step that runs one of the environment's container apps as a Fargate task. */
export interface ContainerStepInput extends StepInput {
  /** Name of a container app in kitchens.config.yaml (the container in its task definition has the same name). */
  readonly app: string;
  /** Command the container runs instead of its image's. @default - the app's command */
  readonly command?: readonly string[];
  /** Environment variables added to the container for this step. @default - no extra environment variables */
  readonly environment?: Readonly<Record<string, string>>;
}

/** A step that runs SQL on the warehouse through the Redshift Data API. */
export interface SqlStepInput extends StepInput {
  /** One statement, or several that run in one transaction; `{{variables}}` are substituted. */
  readonly sql: string | readonly string[];
  /**
   * Longest wait, in seconds, between checks of whether the statement has finished (1 to 300). Checks start 1 s
   * after the statement and then wait 10 % of its running time so far (at least 1 s), up to this.
   * @default 60
   */
  readonly pollSeconds?: number;
}

/** A step that copies every object under a data lake prefix to the same key in another bucket, server-side. */
export interface CopyStepInput extends StepInput {
  /** Bucket and key prefix to copy from; the environment's or Kitchen's data prefix is added in front. */
  readonly from: DataLakeLocation;
  /** Bucket to copy into; each object keeps its key. */
  readonly to: {
    /** The data lake zone of the destination bucket. */
    readonly bucket: DataLakeLocation['bucket'];
  };
  /** Most objects the step copies (at most 1000); it fails before copying when the source holds more. @default 100 */
  readonly maxObjects?: number;
}

export class PipelineBuilder {
  private readonly steps: Record<string, unknown>[] = [];
  private scheduleExpression?: string;
  private descriptionText?: string;

  constructor(private readonly id: string) {}

  description(text: string): this {
    this.descriptionText = text;
    return this;
  }

  /** EventBridge schedule expression such as `cron(0 5 * * ? *)`. */
  schedule(expression: string): this {
    this.scheduleExpression = expression;
    return this;
  }

  container(id: string, input: ContainerStepInput): this {
    return this.add(id, 'container', input);
  }

  sql(id: string, input: SqlStepInput): this {
    return this.add(id, 'sql', input);
  }

  copy(id: string, input: CopyStepInput): this {
    return this.add(id, 'copy', input);
  }

  /** The raw document, exactly what a YAML file with the same pipeline would hold. */
  toDocument(): Record<string, unknown> {
    const doc: Record<string, unknown> = { id: this.id };
    if (this.descriptionText !== undefined) doc.description = this.descriptionText;
    if (this.scheduleExpression !== undefined) doc.schedule = this.scheduleExpression;
    doc.steps = this.steps;
    return JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  }

  /** Validates and returns the model; throws a ConfigError exactly like the file loader would. */
  build(context: PipelineContext): PipelineDefinition {
    return parsePipeline(this.toDocument(), `pipeline ${JSON.stringify(this.id)} (builder)`, context);
  }

  private add(id: string, type: string, input: object): this {
    const step: Record<string, unknown> = { id, type };
    for (const [key, value] of Object.entries(input)) {
      if (value !== undefined) step[key] = value;
    }
    this.steps.push(step);
    return this;
  }
}
