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

export interface TestInput {
  readonly name: string;
  readonly query: string;
  readonly rule: {
    readonly equals?: number;
    readonly not_equals?: number;
    readonly min?: number;
    readonly max?: number;
    readonly between?: readonly [number, number];
    readonly in_control?:
      | true
      | {
          readonly k?: number;
          readonly last?: number;
          readonly min_history?: number;
          readonly tolerance?: number;
          readonly relative_tolerance?: number;
        };
  };
  /** @default 'error' */
  readonly level?: TestLevel;
  /** @default 300 */
  readonly timeoutSeconds?: number;
}

interface StepInput {
  /** @default - the id with hyphens as spaces, capitalised */
  readonly name?: string;
  /** @default - no dependencies: the step starts with the pipeline */
  readonly after?: readonly string[];
  /** @default - no tests */
  readonly tests?: readonly TestInput[];
  /** @default - 120 for container steps, 30 for sql and copy steps */
  readonly timeoutMinutes?: number;
}

export interface ContainerStepInput extends StepInput {
  readonly app: string;
  /** @default - the app's command */
  readonly command?: readonly string[];
  /** @default - no extra environment variables */
  readonly environment?: Readonly<Record<string, string>>;
}

export interface SqlStepInput extends StepInput {
  readonly sql: string | readonly string[];
  /** @default 15 */
  readonly pollSeconds?: number;
}

export interface CopyStepInput extends StepInput {
  readonly from: DataLakeLocation;
  readonly to: { readonly bucket: DataLakeLocation['bucket'] };
  /** @default 100 */
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
