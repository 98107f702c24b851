/**
 * The dashboard and alarms of one environment or Kitchen, built with cdk-monitoring-constructs: for an environment,
 * Redshift health, SFTP arrivals, landing volume and landing feed freshness; for both, the all-green composite alarm
 * over its own alarms and each pipeline's composite. Each pipeline's alarms, metric filters and dashboard live in the
 * pipeline's nested stack (`PipelineMonitoring`), so this template does not grow with what the pipelines monitor.
 * Alarms notify the given topic (the environment's or the Kitchen's, and through AWS Chatbot its Slack channel).
 * Names come from `Names` and thresholds from config, so production and development normalize to the same template. */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import {
  DefaultDashboardFactory,
  MetricStatistic,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import type { Names } from '../../lib/naming';
import { MONITORING_DEFAULTS, MonitoringThresholds } from '../../lib/observability/thresholds';
import type { LandingFeed } from '../environment/landing-feeds';
import type { PipelineMonitoring } from './pipeline-monitoring';
import { AllGreen } from './all-green';

/**
 * How many breaching datapoints, of how many evaluated, raise each alarm; chosen per metric:
 * - a failed or timed-out execution, a Data API error, a failed container and a failed warning test are events
 *   that each need a person: 1 of 1 (missing data is not breaching);
 * - a slow run (P90 duration over the configured minutes) is one datapoint per run: 1 of 1;
 * - warehouse CPU (5-minute periods) must stay high for 15 of 25 minutes: one heavy query is not an incident;
 * - warehouse disk changes slowly and spikes during vacuum and large loads: 2 of 3 periods;
 * - a landing feed is stale when its one period (the feed's window) holds no created object: 1 of 1, missing data
 *   breaching (EventBridge publishes nothing when nothing matched).
 */
export const ALARM_DATAPOINTS = {
  event: { datapointsToAlarm: 1, evaluationPeriods: 1 },
  runDuration: { datapointsToAlarm: 1, evaluationPeriods: 1 },
  warehouseCpu: { datapointsToAlarm: 3, evaluationPeriods: 5 },
  warehouseDisk: { datapointsToAlarm: 2, evaluationPeriods: 3 },
  feedFreshness: { datapointsToAlarm: 1, evaluationPeriods: 1 },
} as const;

/** Step Functions log events of failed Data API calls. */
export const DATA_API_ERROR_PATTERN =
  '{ ($.type = "TaskFailed") && ($.details.resourceType = "aws-sdk:redshiftdata") }';
/** A container step whose app exited non-zero (the step's failure state) or whose ECS task could not run. */
export const CONTAINER_FAILURE_PATTERN =
  '{ (($.type = "PassStateEntered") && ($.details.name = "Container failed: *")) || (($.type = "TaskFailed") && ($.details.resourceType = "ecs")) }';

/** Prefix of the alarm construct ids (physical names get the stack's name instead). */
export const ALARM_ID_PREFIX = 'DataOps';

/**
 * The monitoring facade every dashboard of the library is built with: construct `Facade` of `scope`, alarms named
 * after `alarmIdPrefix` (a fixed prefix keeps construct ids, and so logical ids, the same in every environment;
 * physical names get the environment's prefix where each alarm is made), alarm and OK actions to the alert topic (the
 * channel hears when an alarm is resolved), and one dashboard (construct `dashboardsId`) named `dashboardNamePrefix`.
 */
export function alertingFacade(
  scope: Construct,
  options: {
    readonly dashboardsId: string;
    readonly dashboardNamePrefix: string;
    readonly alertTopic: sns.ITopic;
    readonly alarmIdPrefix?: string;
  },
): MonitoringFacade {
  return new MonitoringFacade(scope, 'Facade', {
    alarmFactoryDefaults: {
      alarmNamePrefix: options.alarmIdPrefix ?? ALARM_ID_PREFIX,
      actionsEnabled: true,
      action: new SnsAlarmActionStrategy({ onAlarmTopic: options.alertTopic, onOkTopic: options.alertTopic }),
      ...ALARM_DATAPOINTS.event,
    },
    metricFactoryDefaults: {},
    dashboardFactory: new DefaultDashboardFactory(scope, options.dashboardsId, {
      dashboardNamePrefix: options.dashboardNamePrefix,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
    }),
  });
}

/** Props of a {@link DataOpsMonitoring}. */
export interface DataOpsMonitoringProps {
  /** The environment's or Kitchen's names: the dashboard and alarm names start with `names.stackName`. */
  readonly names: Names;
  /** Where alarms go: the environment's alert topic, or the Kitchen's. */
  readonly alertTopic: sns.ITopic;
  /**
   * The monitoring of each pipeline (in its nested stack): the all-green composite watches each one's composite
   * alarm, and the dashboard points to their dashboards.
   */
  readonly pipelines: readonly PipelineMonitoring[];
  /** Alarm thresholds. @default - warehouse CPU 90%, disk 80%, runs slower than 120 minutes (`MONITORING_DEFAULTS`) */
  readonly thresholds?: MonitoringThresholds;
  /** The environment's warehouse: CPU, disk and query widgets with CPU and disk alarms. @default - none (a Kitchen) */
  readonly warehouseClusterIdentifier?: string;
  /** The environment's SFTP server: files and bytes arriving. @default - none (a Kitchen) */
  readonly sftpServerId?: string;
  /** The environment's landing bucket: its daily size and object count. @default - none (a Kitchen) */
  readonly landingBucket?: s3.IBucket;
  /**
   * The environment's landing feeds (`LandingFeeds`): one freshness alarm each, in ALARM when no object was created
   * under the feed's prefix for its window. A feed not enabled here has its alarm with actions disabled, and out of
   * the all-green composite. @default - none
   */
  readonly landingFeeds?: readonly LandingFeed[];
}

/**
 * The dashboard's first tile: the alarm status of `alarms` (read when the dashboard renders, after every alarm
 * exists), or, when there is none, a text tile saying so (an alarm status widget must list an alarm).
 */
export class StatusTile implements cloudwatch.IWidget {
  public readonly width = 24;
  public readonly height = 4;
  public readonly warnings = undefined;
  public readonly warningsV2 = undefined;
  private x?: number;
  private y?: number;

  constructor(
    private readonly title: string,
    private readonly alarms: readonly cloudwatch.IAlarm[],
  ) {}

  public position(x: number, y: number): void {
    this.x = x;
    this.y = y;
  }

  public toJson(): unknown[] {
    const size = { width: this.width, height: this.height };
    const widget =
      this.alarms.length > 0
        ? new cloudwatch.AlarmStatusWidget({
            title: this.title,
            alarms: [...this.alarms],
            ...size,
            sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
          })
        : new cloudwatch.TextWidget({
            markdown: `### ${this.title}\nNo alarms here yet: no pipeline, no feed.`,
            ...size,
          });
    if (this.x !== undefined && this.y !== undefined) widget.position(this.x, this.y);
    return widget.toJson();
  }
}

export class DataOpsMonitoring extends Construct {
  public readonly facade: MonitoringFacade;
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarms: readonly cloudwatch.AlarmBase[];
  /**
   * The composite alarm that is OK only when every alarm above is OK (the dashboard's first tile); undefined when
   * there is no alarm to watch (a Kitchen without pipelines), since a composite alarm needs a rule.
   */
  public readonly allGreen?: AllGreen;

  constructor(scope: Construct, id: string, props: DataOpsMonitoringProps) {
    super(scope, id);
    const thresholds = props.thresholds ?? MONITORING_DEFAULTS;
    const prefix = props.names.stackName;
    this.facade = alertingFacade(this, {
      dashboardsId: 'Dashboards',
      dashboardNamePrefix: prefix,
      alertTopic: props.alertTopic,
    });
    const metrics = this.facade.createMetricFactory();

    this.facade.addLargeHeader(`DataOps: ${prefix}`);
    // First tile: the all-green composite and every alarm's state. The widget reads this list when the dashboard
    // is rendered at synth time, after every alarm below exists.
    const statusAlarms: cloudwatch.IAlarm[] = [];
    this.facade.addWidget(new StatusTile(`All green? ${prefix}`, statusAlarms));
    // Each pipeline's alarms, metric filters and dashboard are in its nested stack (PipelineMonitoring): here, one
    // tile names their dashboards, and the all-green composite watches each pipeline's composite.
    if (props.pipelines.length > 0) {
      this.facade.addWidget(
        new cloudwatch.TextWidget({
          markdown:
            `### Pipelines of ${prefix}\n` +
            `Each of the ${props.pipelines.length} pipelines has its own dashboard, \`${prefix}-pipeline-<id>\` ` +
            `(its executions, test verdicts, SPC charts, Data API errors and container failures), and its own ` +
            `composite alarm \`${prefix}-pipeline-<id>-all-green\`, which the all-green alarm above watches.`,
          width: 24,
          height: 3,
        }),
      );
    }
    if (props.warehouseClusterIdentifier) {
      this.facade.monitorRedshiftCluster({
        clusterIdentifier: props.warehouseClusterIdentifier,
        humanReadableName: 'Warehouse (Redshift)',
        alarmFriendlyName: 'warehouse',
        addCpuUsageAlarm: {
          Cpu: { maxUsagePercent: thresholds.warehouseCpuPercent, ...ALARM_DATAPOINTS.warehouseCpu },
        },
        addDiskSpaceUsageAlarm: {
          Disk: { maxUsagePercent: thresholds.warehouseDiskPercent, ...ALARM_DATAPOINTS.warehouseDisk },
        },
      });
    }
    if (props.sftpServerId) {
      const transfer = (name: string, label: string) =>
        metrics.createMetric(
          name,
          MetricStatistic.SUM,
          label,
          { ServerId: props.sftpServerId! },
          undefined,
          'AWS/Transfer',
          Duration.hours(1),
        );
      this.facade.monitorCustom({
        humanReadableName: 'SFTP arrivals (Transfer Family)',
        alarmFriendlyName: 'sftp',
        metricGroups: [
          { title: 'Files in', metrics: [transfer('FilesIn', 'files')] },
          { title: 'Bytes in', metrics: [transfer('BytesIn', 'bytes')] },
        ],
      });
    }
    if (props.landingBucket) {
      this.facade.monitorS3Bucket({
        bucket: props.landingBucket,
        humanReadableName: 'Landing bucket',
        alarmFriendlyName: 'landing',
      });
    }

    for (const feed of props.landingFeeds ?? []) {
      const { name, every, prefix, enabled, windowSeconds } = feed.config;
      this.facade.monitorCustom({
        humanReadableName: `Landing feed ${name}: objects under ${prefix} (expected every ${every})`,
        alarmFriendlyName: `feed-${name}`,
        metricGroups: [
          {
            title: `Objects created under ${prefix}`,
            metrics: [
              {
                metric: feed.matchedEvents,
                alarmFriendlyName: 'freshness',
                addAlarm: {
                  Stale: {
                    threshold: 1,
                    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                    treatMissingDataOverride: cloudwatch.TreatMissingData.BREACHING,
                    period: Duration.seconds(windowSeconds),
                    ...ALARM_DATAPOINTS.feedFreshness,
                    // The alarm exists everywhere (alignment); it acts only where the config enables the feed.
                    actionsEnabled: enabled,
                    additionalDescription: `No object was created under ${prefix} of the landing bucket for ${every} (feed ${name}); acts only in the environments the feed is enabled in.`,
                  },
                },
              },
            ],
          },
        ],
      });
    }

    const named = this.facade.createdAlarms().map(({ alarm, alarmName }) => {
      const name = `${prefix}-${alarmName.slice(ALARM_ID_PREFIX.length + 1)}`;
      (alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmName = name;
      return { alarm, alarmName: name };
    });
    this.alarms = named.map((a) => a.alarm);
    // An alarm with actions disabled (a feed not enabled in this environment) says nothing about its health here.
    const acting = [
      ...props.pipelines.map((p) => p.namedAllGreen),
      ...named.filter(({ alarm }) => (alarm.node.defaultChild as cloudwatch.CfnAlarm).actionsEnabled !== false),
    ];
    if (acting.length > 0) {
      this.allGreen = new AllGreen(this, 'AllGreen', {
        alarmName: `${prefix}-all-green`,
        subject: prefix,
        alarms: acting,
      });
      // The environment's own alarms beside the all-green composite and its parts: a pipeline's alarms are on its
      // dashboard, so the tile does not grow with the pipelines (but for one part per ~90 of them).
      statusAlarms.push(this.allGreen.alarm, ...this.allGreen.parts, ...this.alarms);
    }
    this.dashboard = this.facade.createdDashboard()!;
    // The stack's tags reach the dashboard through CDK's recent Dashboard Tags property, which the cfn-lint CI runs
    // (1.51) rejects as unknown (E3002): the dashboard stays untagged until the linter knows the property.
    (this.dashboard.node.defaultChild as cloudwatch.CfnDashboard).addPropertyDeletionOverride('Tags');
  }
}
