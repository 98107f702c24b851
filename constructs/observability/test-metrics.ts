/**
 * Publishes each test's result as CloudWatch metrics from the test's own `Evaluate test` execution, once its result
 * is known (passed, failed or errored, at every level) and before its alert: its value, a result counted under its
 * verdict, the pipeline's results counted by level and verdict, and for an `in_control` test its band (lower and
 * upper limit) once it has one. So every test that ran publishes, also in a run that a later test or step fails, and
 * the cost falls on each child execution's own history, not the pipeline's. Publishing never changes a result: a
 * rejected call (a NULL or errored test has no value) falls back to the verdicts alone, and every call is caught.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  PipelineIdentity,
  pipelineDimensions,
} from '../../lib/observability/metrics';
import type { PipelineDefinition, TestLevel } from '../../lib/pipeline/model';
import { retryTransient } from '../pipeline/states';

/** PutMetricData errors worth a retry, as Step Functions names them for the aws-sdk integration. */
const CLOUDWATCH_TRANSIENT = ['CloudWatch.InternalServiceException', 'CloudWatch.CloudWatchException'];

/** One test of a pipeline, as its dashboard charts it. */
export interface PublishedTest {
  readonly step: string;
  readonly test: string;
  readonly level: TestLevel;
  /** An `in_control` test: its band is read from its expectation (`between LOW and HIGH (...)`). */
  readonly band: boolean;
}

/** The tests of a pipeline in the order they run in the definition. */
export function publishedTests(definition: PipelineDefinition): PublishedTest[] {
  return definition.steps.flatMap((step) =>
    step.tests.map((test) => ({
      step: step.id,
      test: test.name,
      level: test.level,
      band: test.rule.kind === 'in_control',
    })),
  );
}

const dimensionList = (dimensions: Record<string, string>, dynamic: Record<string, string> = {}) => [
  ...Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
  ...Object.entries(dynamic).map(([Name, path]) => ({ Name, 'Value.$': path })),
];

/** PutMetricData through the AWS SDK integration, allowed only for one namespace. */
class PutMetricData extends tasks.CallAwsService {
  constructor(scope: Construct, id: string, stateName: string, namespace: string, metricData: unknown[]) {
    super(scope, id, {
      stateName,
      service: 'cloudwatch',
      action: 'putMetricData',
      parameters: { Namespace: namespace, MetricData: metricData },
      // PutMetricData has no resource type; the namespace condition is what scopes it.
      iamResources: ['*'],
      iamAction: 'cloudwatch:PutMetricData',
      resultPath: sfn.JsonPath.DISCARD,
    });
    retryTransient(this, CLOUDWATCH_TRANSIENT);
    for (const statement of this.taskPolicies ?? []) {
      statement.addCondition('StringEquals', { 'cloudwatch:namespace': namespace });
    }
  }

  /** The statements this task adds to the state machine role (for tests and reviews). */
  public get policies(): readonly iam.PolicyStatement[] {
    return this.taskPolicies ?? [];
  }
}

/** What {@link publishTestResult} publishes, and where it goes next. */
export interface TestResultMetricsProps {
  /** Project, environment, Kitchen and pipeline the metrics are dimensioned by. */
  readonly identity: PipelineIdentity;
  /** Where the test's result record (`{ step, test, status, value, expectation }`) is in the state, e.g. `$.result`. */
  readonly resultPath: string;
  /** Where the test's level (`error`, `warning`, `log`) is in the state. */
  readonly levelPath: string;
  /** Where a boolean saying the test is an `in_control` test is in the state. */
  readonly inControlPath: string;
  /** Where the execution goes after publishing (or failing to). */
  readonly next: sfn.IChainable;
  /** CloudWatch namespace of the metrics. @default - `CdkKitchens/Pipelines` (`METRICS_NAMESPACE`) */
  readonly namespace?: string;
}

/**
 * The metrics of one test's result: `TestValue`, `TestResult` under its verdict and the `PipelineTestResult` count
 * under its level and verdict; then, for an `in_control` test whose expectation states a band (`between LOW and
 * HIGH (mean +/- ...)`; not while learning), `TestBandLower` and `TestBandUpper`. Step, test, level and verdict come
 * from the state, so one set of states serves every test of the pipeline. When CloudWatch rejects the value (the
 * query returned NULL, or errored), `Publish test verdict` sends the verdict items alone. Every call is caught and
 * goes on with the state unchanged. Returns the first state and the PutMetricData tasks.
 */
export function publishTestResult(
  scope: Construct,
  id: string,
  props: TestResultMetricsProps,
): { readonly start: sfn.State; readonly tasks: readonly tasks.CallAwsService[] } {
  const namespace = props.namespace ?? METRICS_NAMESPACE;
  const { identity, resultPath: r, next } = props;
  const test = { [DIMENSION.step]: `${r}.step`, [DIMENSION.test]: `${r}.test` };
  const verdictItems = [
    {
      MetricName: METRIC.testResult,
      Dimensions: dimensionList(pipelineDimensions(identity), { ...test, [DIMENSION.verdict]: `${r}.status` }),
      Value: 1,
      Unit: 'Count',
    },
    {
      MetricName: METRIC.pipelineTestResult,
      Dimensions: dimensionList(pipelineDimensions(identity), {
        [DIMENSION.level]: props.levelPath,
        [DIMENSION.verdict]: `${r}.status`,
      }),
      Value: 1,
      Unit: 'Count',
    },
  ];
  // The result holds the value as text ("12.5", or "null" when the query returned NULL).
  const all = new PutMetricData(scope, `${id}Publish`, 'Publish test metrics', namespace, [
    {
      MetricName: METRIC.testValue,
      Dimensions: dimensionList(pipelineDimensions(identity), test),
      'Value.$': `States.StringToJson(${r}.value)`,
      Unit: 'None',
    },
    ...verdictItems,
  ]);
  const verdict = new PutMetricData(scope, `${id}PublishVerdict`, 'Publish test verdict', namespace, verdictItems);
  const words = `States.StringSplit(${r}.expectation, ' ')`;
  const limit = (index: number) => `States.StringToJson(States.ArrayGetItem(${words}, ${index}))`;
  const band = new PutMetricData(scope, `${id}PublishBand`, 'Publish test band', namespace, [
    {
      MetricName: METRIC.testBandLower,
      Dimensions: dimensionList(pipelineDimensions(identity), test),
      'Value.$': limit(1),
      Unit: 'None',
    },
    {
      MetricName: METRIC.testBandUpper,
      Dimensions: dimensionList(pipelineDimensions(identity), test),
      'Value.$': limit(3),
      Unit: 'None',
    },
  ]);
  band.addCatch(next, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  band.next(next);
  // "between LOW and HIGH (mean +/- k sd of last n)" once the test has history; "in control (learning: ...)" before.
  const hasBand = new sfn.Choice(scope, `${id}HasBand`, { stateName: 'Test band known?' })
    .when(
      sfn.Condition.and(
        sfn.Condition.booleanEquals(props.inControlPath, true),
        sfn.Condition.stringMatches(`${r}.expectation`, 'between *'),
      ),
      band,
    )
    .otherwise(next);
  all.addCatch(verdict, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  verdict.addCatch(hasBand, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  all.next(hasBand);
  verdict.next(hasBand);
  return { start: all, tasks: [all, verdict, band] };
}

/** Project, environment, Kitchen (the environment's name outside a Kitchen) and pipeline of a compiled target. */
export function pipelineIdentity(
  target: {
    readonly names: { readonly context: { project: string; environment: string; kitchen?: string } };
    readonly variables: Readonly<Record<string, string>>;
  },
  pipeline: string,
): PipelineIdentity {
  const environment = target.variables.env ?? target.names.context.environment;
  return {
    project: target.names.context.project,
    environment,
    kitchen: target.names.context.kitchen ?? environment,
    pipeline,
  };
}
