/**
 * The CloudWatch metrics cdk-kitchens publishes for pipeline runs: one namespace, fixed metric and dimension
 * names. Shared by the state machine fragment that publishes them, the dashboards that read them and the check
 * that dashboards reference only metrics something emits. Pure data: no aws-cdk-lib import.
 */

/** Every metric the pipelines publish lives here; the state machine's PutMetricData grant is scoped to it. */
export const METRICS_NAMESPACE = 'CdkKitchens/Pipelines';

export const METRIC = {
  /** A test's measured value (the number its query returned). */
  testValue: 'TestValue',
  /** 1 per test per run, with a `Verdict` dimension (`passed` / `failed`). */
  testResult: 'TestResult',
  /** Lower and upper limit of an `in_control` test's band, once it has enough history to have one. */
  testBandLower: 'TestBandLower',
  testBandUpper: 'TestBandUpper',
  /** 1 per test per run at pipeline level: dimensions Level (log / warning / error) and Verdict. */
  pipelineTestResult: 'PipelineTestResult',
  /** Failed Redshift Data API calls, counted by a metric filter on the pipeline's log group. */
  dataApiErrors: 'DataApiErrors',
} as const;

/** Dimension names, in the order they are published. */
export const DIMENSION = {
  project: 'Project',
  environment: 'Environment',
  kitchen: 'Kitchen',
  pipeline: 'Pipeline',
  step: 'Step',
  test: 'Test',
  level: 'Level',
  verdict: 'Verdict',
} as const;

export const VERDICTS = ['passed', 'failed'] as const;
export const LEVELS = ['log', 'warning', 'error'] as const;

/** Identity of the runs of one pipeline: project, environment, Kitchen (the environment's name outside Kitchens). */
export interface PipelineIdentity {
  readonly project: string;
  readonly environment: string;
  readonly kitchen: string;
  readonly pipeline: string;
}

export function pipelineDimensions(id: PipelineIdentity): Record<string, string> {
  return {
    [DIMENSION.project]: id.project,
    [DIMENSION.environment]: id.environment,
    [DIMENSION.kitchen]: id.kitchen,
    [DIMENSION.pipeline]: id.pipeline,
  };
}

export function testDimensions(id: PipelineIdentity, step: string, test: string): Record<string, string> {
  return { ...pipelineDimensions(id), [DIMENSION.step]: step, [DIMENSION.test]: test };
}

/** Metric name of the Data API error filter of one pipeline (a log metric filter cannot add fixed dimensions). */
export function dataApiErrorsMetricName(stateMachineName: string): string {
  return `${METRIC.dataApiErrors}-${stateMachineName}`;
}

/** Metric name of the container failure filter of one pipeline. */
export function containerFailuresMetricName(stateMachineName: string): string {
  return `ContainerFailures-${stateMachineName}`;
}
