/**
 * The monitoring of one pipeline, in the pipeline's own nested stack (issue 22): its alarms (failed, timed-out and
 * slow executions, a failed warning test, Data API errors, container failures) to the environment's or Kitchen's
 * topic, the two metric filters on its log group, a composite alarm that is OK exactly when all of them are, and a
 * dashboard of its own (executions, test verdicts, SPC charts, why containers stopped). So a pipeline adds to its
 * parent's template only its nested stack resource and one term of the parent's all-green rule, whatever it
 * monitors: the parent's `DataOpsMonitoring` watches the pipeline's composite, not each of its alarms.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { MetricStatistic } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { type Names, pascal } from '../../lib/naming';
import {
  containerFailuresMetricName,
  dataApiErrorsMetricName,
  DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  pipelineDimensions,
  testDimensions,
} from '../../lib/observability/metrics';
import { MONITORING_DEFAULTS, MonitoringThresholds } from '../../lib/observability/thresholds';
import type { Pipeline } from '../pipeline/pipeline';
import { AllGreen, type NamedAlarm } from './all-green';
import { pipelineIdentity, publishedTests } from './test-metrics';
import {
  ALARM_DATAPOINTS,
  ALARM_ID_PREFIX,
  alertingFacade,
  CONTAINER_FAILURE_PATTERN,
  DATA_API_ERROR_PATTERN,
  StatusTile,
} from './dataops-monitoring';

/** Test metrics are published once per run: a one-hour period shows each run as one point. */
const TEST_PERIOD = Duration.hours(1);

/** Props of a {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  /** The environment's or Kitchen's names: alarm and dashboard names start with `names.stackName`. */
  readonly names: Names;
  /** Where alarms and their resolution go: the environment's alert topic, or the Kitchen's. */
  readonly alertTopic: sns.ITopic;
  /** The pipeline to watch. */
  readonly pipeline: Pipeline;
  /** Alarm thresholds. @default - runs slower than 120 minutes alarm (`MONITORING_DEFAULTS`) */
  readonly thresholds?: MonitoringThresholds;
}

/** One pipeline's alarms, metric filters, composite alarm and dashboard (see the module comment). */
export class PipelineMonitoring extends Construct {
  /** The pipeline watched. */
  public readonly pipeline: Pipeline;
  /** Its dashboard, `<stack name>-pipeline-<id>`. */
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly metricFilters: readonly logs.MetricFilter[];
  /** Its alarms, each notifying the topic on ALARM and on OK. */
  public readonly alarms: readonly cloudwatch.AlarmBase[];
  /** OK exactly when every alarm of the pipeline is OK; the parent's all-green composite watches it. */
  public readonly allGreen: AllGreen;
  /** The composite and its physical name, as the parent's all-green composite takes it. */
  public readonly namedAllGreen: NamedAlarm;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const { pipeline, names } = props;
    this.pipeline = pipeline;
    const thresholds = props.thresholds ?? MONITORING_DEFAULTS;
    const prefix = names.stackName;
    const pipelineId = pipeline.definition.id;
    const title = `${prefix}-pipeline-${pipelineId}`;
    // Construct ids of the alarms (`Facade/DataOps-pipeline-<id>-...`) and metric filters are those they had in the
    // parent's DataOpsMonitoring, so with PipelineStack's logical ids they keep their logical ids; what is new (the
    // dashboard, the composite) names the pipeline, so ids stay unique across an environment's pipelines.
    const facade = alertingFacade(this, {
      dashboardsId: `Dashboards${pascal(pipelineId)}`,
      dashboardNamePrefix: title,
      alertTopic: props.alertTopic,
    });
    const metrics = facade.createMetricFactory();
    const identity = pipelineIdentity({ names, variables: {} }, pipelineId);
    const stateMachineName = names.stateMachineName(pipelineId);

    facade.addLargeHeader(`Pipeline ${pipelineId}: ${prefix}`);
    const statusAlarms: cloudwatch.IAlarm[] = [];
    facade.addWidget(new StatusTile(`All green? ${title}`, statusAlarms));
    facade.monitorStepFunction({
      stateMachine: pipeline.stateMachine,
      humanReadableName: `Pipeline ${pipelineId}: executions`,
      alarmFriendlyName: `pipeline-${pipelineId}`,
      addFailedExecutionCountAlarm: { Failed: { maxErrorCount: 0 } },
      addTimedOutExecutionCountAlarm: { TimedOut: { maxErrorCount: 0 } },
      addDurationP90Alarm: {
        Slow: { maxDuration: Duration.minutes(thresholds.runDurationMinutes), ...ALARM_DATAPOINTS.runDuration },
      },
    });

    const filter = (fid: string, pattern: string, metricName: string) =>
      new logs.MetricFilter(this, `${fid}${pascal(pipelineId)}`, {
        logGroup: pipeline.logGroup,
        filterPattern: logs.FilterPattern.literal(pattern),
        metricNamespace: METRICS_NAMESPACE,
        metricName,
        metricValue: '1',
        unit: cloudwatch.Unit.COUNT,
      });
    this.metricFilters = [
      filter('DataApiErrors', DATA_API_ERROR_PATTERN, dataApiErrorsMetricName(stateMachineName)),
      filter('ContainerFailures', CONTAINER_FAILURE_PATTERN, containerFailuresMetricName(stateMachineName)),
    ];

    const results = (level: string, verdict: string, color: string) =>
      metrics.createMetric(
        METRIC.pipelineTestResult,
        MetricStatistic.SUM,
        `${level} ${verdict}`,
        { ...pipelineDimensions(identity), [DIMENSION.level]: level, [DIMENSION.verdict]: verdict },
        color,
        METRICS_NAMESPACE,
        TEST_PERIOD,
      );
    const filterMetric = (name: string, label: string) =>
      metrics.createMetric(
        name,
        MetricStatistic.SUM,
        label,
        undefined,
        undefined,
        METRICS_NAMESPACE,
        Duration.minutes(5),
      );
    const countAlarm = (name: string, extra: { additionalDescription?: string } = {}) => ({
      [name]: {
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...extra,
      },
    });
    facade.monitorCustom({
      humanReadableName: `Pipeline ${pipelineId}: tests and failures`,
      alarmFriendlyName: `pipeline-${pipelineId}-tests`,
      metricGroups: [
        {
          title: 'Test verdicts (per run)',
          metrics: [
            results('error', 'passed', '#2ca02c'),
            {
              metric: results('warning', 'failed', '#ff7f0e'),
              alarmFriendlyName: 'warnings',
              addAlarm: countAlarm('Warned', {
                additionalDescription: `A warning-level test of pipeline ${pipelineId} failed.`,
              }),
            },
            results('warning', 'passed', '#98df8a'),
            results('log', 'failed', '#c7c7c7'),
          ],
        },
        {
          title: 'Data API errors and container failures',
          metrics: [
            {
              metric: filterMetric(dataApiErrorsMetricName(stateMachineName), 'Data API errors'),
              alarmFriendlyName: 'data-api',
              addAlarm: countAlarm('DataApiErrors'),
            },
            {
              metric: filterMetric(containerFailuresMetricName(stateMachineName), 'Container failures'),
              alarmFriendlyName: 'containers',
              addAlarm: countAlarm('ContainerFailures'),
            },
          ],
        },
        // SPC charts: an in_control test's value with the band it was judged against.
        ...publishedTests(pipeline.definition)
          .filter((t) => t.band)
          .map((t) => {
            const dims = testDimensions(identity, t.step, t.test);
            const line = (name: string, label: string, color: string) =>
              metrics.createMetric(name, MetricStatistic.MAX, label, dims, color, METRICS_NAMESPACE, TEST_PERIOD);
            return {
              title: `SPC: ${t.test} (${t.step})`,
              metrics: [
                line(METRIC.testValue, 'value', '#1f77b4'),
                line(METRIC.testBandLower, 'lower limit', '#d62728'),
                line(METRIC.testBandUpper, 'upper limit', '#d62728'),
              ],
            };
          }),
      ],
    });
    facade.addWidget(
      new cloudwatch.LogQueryWidget({
        title: `Pipeline ${pipelineId}: why containers stopped`,
        logGroupNames: [pipeline.logGroup.logGroupName],
        queryLines: [
          'fields @timestamp, details.name',
          'filter type = "PassStateExited" and details.name like /^Container failed: /',
          'parse details.output \'"Cause":"*"\' as reason',
          'sort @timestamp desc',
          'limit 20',
        ],
        width: 24,
        height: 6,
      }),
    );

    const named = facade.createdAlarms().map(({ alarm, alarmName }) => {
      const name = `${prefix}-${alarmName.slice(ALARM_ID_PREFIX.length + 1)}`;
      (alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmName = name;
      return { alarm, alarmName: name };
    });
    this.alarms = named.map((a) => a.alarm);
    this.allGreen = new AllGreen(this, `AllGreen${pascal(pipelineId)}`, {
      alarmName: `${title}-all-green`,
      subject: `pipeline ${pipelineId} of ${prefix}`,
      alarms: named,
    });
    this.namedAllGreen = { alarm: this.allGreen.alarm, alarmName: `${title}-all-green` };
    statusAlarms.push(this.allGreen.alarm, ...this.alarms);
    this.dashboard = facade.createdDashboard()!;
    // As in DataOpsMonitoring: the cfn-lint the CI runs does not know the dashboard Tags property yet.
    (this.dashboard.node.defaultChild as cloudwatch.CfnDashboard).addPropertyDeletionOverride('Tags');
  }
}
