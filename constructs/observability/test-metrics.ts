/**
 * Publishes a run's test results as CloudWatch metrics from inside the state machine, in one PutMetricData call
 * (`Publish test metrics`): per test its value and a result counted under its verdict, and per pipeline the results
 * counted by level and verdict. `in_control` tests publish their band (lower and upper limit) once they have one.
 * Publishing never fails a run: a rejected batch (a test whose query returned NULL has no value to publish) falls
 * back to the verdicts alone, and every call catches its errors.
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
  PUT_METRIC_DATA_MAX_ITEMS,
  testDimensions,
} from '../../lib/observability/metrics';
import type { PipelineDefinition, TestLevel } from '../../lib/pipeline/model';
import { retryTransient } from '../pipeline/states';
import { testResultKey } from '../pipeline/test-fragment';

/** PutMetricData errors worth a retry, as Step Functions names them for the aws-sdk integration. */
const CLOUDWATCH_TRANSIENT = ['CloudWatch.InternalServiceException', 'CloudWatch.CloudWatchException'];

/** One test whose result the fragment publishes. */
export interface PublishedTest {
  /** Key of the result under `resultsPath` (`{ status, value, expectation }`). */
  readonly key: string;
  readonly step: string;
  readonly test: string;
  readonly level: TestLevel;
  /** An `in_control` test: its band is read from its expectation (`between LOW and HIGH (...)`). */
  readonly band: boolean;
}

/** Props of a {@link TestMetrics}. */
export interface TestMetricsProps {
  /** Project, environment, Kitchen and pipeline the metrics are dimensioned by. */
  readonly identity: PipelineIdentity;
  /** The tests whose results are published; there must be at least one. */
  readonly tests: readonly PublishedTest[];
  /** Where the results are in the state, e.g. `$.tests`. */
  readonly resultsPath: string;
  /** CloudWatch namespace of the metrics. @default - `CdkKitchens/Pipelines` (`METRICS_NAMESPACE`) */
  readonly namespace?: string;
}

/** Items per test in the main batch: value, result, pipeline-level result. */
const ITEMS_PER_TEST = 3;

/** The tests of a pipeline in the order they run in the definition. */
export function publishedTests(definition: PipelineDefinition): PublishedTest[] {
  return definition.steps.flatMap((step) =>
    step.tests.map((test) => ({
      key: testResultKey(test.name),
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

export class TestMetrics extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The PutMetricData tasks, main batch first. */
  public readonly tasks: readonly tasks.CallAwsService[];

  constructor(scope: Construct, id: string, props: TestMetricsProps) {
    super(scope, id);
    const namespace = props.namespace ?? METRICS_NAMESPACE;
    const { identity, tests, resultsPath } = props;
    if (tests.length === 0) {
      throw new Error(`TestMetrics ${this.node.path}: pipeline ${identity.pipeline} has no tests to publish`);
    }
    if (tests.length * ITEMS_PER_TEST > PUT_METRIC_DATA_MAX_ITEMS) {
      throw new Error(
        `Pipeline ${identity.pipeline} has ${tests.length} tests; one run publishes at most ` +
          `${Math.floor(PUT_METRIC_DATA_MAX_ITEMS / ITEMS_PER_TEST)} (${ITEMS_PER_TEST} metrics each, ` +
          `${PUT_METRIC_DATA_MAX_ITEMS} per PutMetricData call)`,
      );
    }
    const result = (t: PublishedTest) => `${resultsPath}.${t.key}`;
    const verdictItems = tests.flatMap((t) => [
      {
        MetricName: METRIC.testResult,
        Dimensions: dimensionList(testDimensions(identity, t.step, t.test), {
          [DIMENSION.verdict]: `${result(t)}.status`,
        }),
        Value: 1,
        Unit: 'Count',
      },
      {
        MetricName: METRIC.pipelineTestResult,
        Dimensions: dimensionList(
          { ...pipelineDimensions(identity), [DIMENSION.level]: t.level },
          { [DIMENSION.verdict]: `${result(t)}.status` },
        ),
        Value: 1,
        Unit: 'Count',
      },
    ]);
    const valueItems = tests.map((t) => ({
      MetricName: METRIC.testValue,
      Dimensions: dimensionList(testDimensions(identity, t.step, t.test)),
      // The result holds the value as text ("12.5", or "null" when the query returned NULL).
      'Value.$': `States.StringToJson(${result(t)}.value)`,
      Unit: 'None',
    }));

    const done = new sfn.Pass(this, 'Done', { stateName: `Test metrics published: ${identity.pipeline}` });
    const batch = new PutMetricData(this, 'Publish', 'Publish test metrics', namespace, [
      ...valueItems,
      ...verdictItems,
    ]);
    const verdicts = new PutMetricData(this, 'PublishVerdicts', 'Publish test verdicts', namespace, verdictItems);
    const metricTasks: tasks.CallAwsService[] = [batch, verdicts];

    // Bands, from the last in_control test back to the first, so each step knows where to go next.
    let next: sfn.State = done;
    for (const t of [...tests].reverse().filter((x) => x.band)) {
      const words = `States.StringSplit(${result(t)}.expectation, ' ')`;
      const limit = (index: number) => `States.StringToJson(States.ArrayGetItem(${words}, ${index}))`;
      const band = new PutMetricData(this, `Band${metricTasks.length}`, `Publish band: ${t.test}`, namespace, [
        {
          MetricName: METRIC.testBandLower,
          Dimensions: dimensionList(testDimensions(identity, t.step, t.test)),
          'Value.$': limit(1),
          Unit: 'None',
        },
        {
          MetricName: METRIC.testBandUpper,
          Dimensions: dimensionList(testDimensions(identity, t.step, t.test)),
          'Value.$': limit(3),
          Unit: 'None',
        },
      ]);
      band.addCatch(next, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
      band.next(next);
      metricTasks.push(band);
      // "between LOW and HIGH (mean +/- k sd of last n)" once the test has history; "in control (learning: ...)" before.
      const known = new sfn.Choice(this, `HasBand${metricTasks.length}`, { stateName: `Band known: ${t.test}` })
        .when(sfn.Condition.stringMatches(`${result(t)}.expectation`, 'between *'), band)
        .otherwise(next);
      next = known;
    }
    batch.addCatch(verdicts, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    verdicts.addCatch(next, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    batch.next(next);
    verdicts.next(next);

    this.tasks = metricTasks;
    this.startState = batch;
    this.endStates = [done];
  }
}

/** What {@link publishFailedTest} publishes, and where it goes next. */
export interface FailedTestMetricsProps {
  /** Project, environment, Kitchen and pipeline the metrics are dimensioned by (the batch's). */
  readonly identity: PipelineIdentity;
  /** Where the test's result record (`{ step, test, status, value }`) is in the state, e.g. `$.result`. */
  readonly resultPath: string;
  /** Where the run goes after publishing (or failing to). */
  readonly next: sfn.IChainable;
  /** CloudWatch namespace of the metrics. @default - `CdkKitchens/Pipelines` (`METRICS_NAMESPACE`) */
  readonly namespace?: string;
}

/**
 * The metrics of an `error` test that did not pass, which ends the run before the batch: its `TestValue`, its
 * `TestResult` under its verdict (`failed` or `errored`) and the `PipelineTestResult` count at level `error`, with the
 * batch's namespace and dimensions. The step and test dimensions and the verdict come from the result record, so one
 * pair of states serves every test (it lives in the pipeline's `Evaluate test` machine). When CloudWatch rejects the
 * value (the query returned NULL, or errored: there is no number), `Publish failed test verdict` sends the verdict
 * items alone. Both calls are caught and go on to `next` with the state unchanged, so publishing never changes the
 * test's result or the failure that follows. Returns the first state and the two tasks.
 */
export function publishFailedTest(
  scope: Construct,
  id: string,
  props: FailedTestMetricsProps,
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
      Dimensions: dimensionList(
        { ...pipelineDimensions(identity), [DIMENSION.level]: 'error' },
        { [DIMENSION.verdict]: `${r}.status` },
      ),
      Value: 1,
      Unit: 'Count',
    },
  ];
  const all = new PutMetricData(scope, `${id}Publish`, 'Publish failed test metrics', namespace, [
    {
      MetricName: METRIC.testValue,
      Dimensions: dimensionList(pipelineDimensions(identity), test),
      'Value.$': `States.StringToJson(${r}.value)`,
      Unit: 'None',
    },
    ...verdictItems,
  ]);
  const verdict = new PutMetricData(
    scope,
    `${id}PublishVerdict`,
    'Publish failed test verdict',
    namespace,
    verdictItems,
  );
  all.addCatch(verdict, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  verdict.addCatch(next, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  all.next(next);
  verdict.next(next);
  return { start: all, tasks: [all, verdict] };
}

/**
 * Appends the test metrics of a compiled pipeline to its chain (nothing for a pipeline without tests). The one
 * place a pipeline plugs observability in: after its last step, before its report.
 */
export function appendTestMetrics(
  scope: Construct,
  chain: sfn.Chain,
  props: { readonly definition: PipelineDefinition; readonly identity: PipelineIdentity; readonly resultsPath: string },
): sfn.Chain {
  const tests = publishedTests(props.definition);
  if (tests.length === 0) return chain;
  return chain.next(
    new TestMetrics(scope, 'Metrics', { identity: props.identity, tests, resultsPath: props.resultsPath }),
  );
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
