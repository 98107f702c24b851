/**
 * Alarms and a dashboard for an environment's housekeeping state machines (the Kitchen reaper, the clone job and
 * its setup), built with cdk-monitoring-constructs like the pipelines' monitoring: failed and timed-out executions
 * alarm (and resolve) to the environment's alert topic, and the dashboard opens with the jobs' all-green tile.
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AllGreen } from './all-green';
import { alertingFacade } from './dataops-monitoring';

const ALARM_ID_PREFIX = 'Job';

/** One state machine to watch. */
export interface MonitoredJob {
  /** The state machine. */
  readonly stateMachine: sfn.IStateMachine;
  /** Its short name in alarm names and titles (`kitchen-reaper`, `clone-publish`). */
  readonly name: string;
  /** What it does, for the dashboard. */
  readonly title: string;
}

/** Props of {@link JobMonitoring}. */
export interface JobMonitoringProps {
  /** Prefix of the dashboard and alarm names: the stack's name. */
  readonly prefix: string;
  /** The environment's alert topic: alarms and their resolution go there. */
  readonly alertTopic: sns.ITopic;
  /** The jobs to watch. */
  readonly jobs: readonly MonitoredJob[];
}

/** Failed or timed-out executions of housekeeping jobs, alarmed to the environment's topic and on a dashboard. */
export class JobMonitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarms: readonly cloudwatch.AlarmBase[];
  public readonly allGreen: AllGreen;

  constructor(scope: Construct, id: string, props: JobMonitoringProps) {
    super(scope, id);
    const facade = alertingFacade(this, {
      dashboardsId: 'Dashboards',
      dashboardNamePrefix: props.prefix,
      alertTopic: props.alertTopic,
      alarmIdPrefix: ALARM_ID_PREFIX,
    });
    facade.addLargeHeader(`Jobs: ${props.prefix}`);
    const statusAlarms: cloudwatch.IAlarm[] = [];
    facade.addWidget(
      new cloudwatch.AlarmStatusWidget({
        title: `All green? ${props.prefix}`,
        alarms: statusAlarms,
        width: 24,
        height: 3,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );
    for (const job of props.jobs) {
      facade.monitorStepFunction({
        stateMachine: job.stateMachine,
        humanReadableName: job.title,
        alarmFriendlyName: job.name,
        addFailedExecutionCountAlarm: { Failed: { maxErrorCount: 0 } },
        addTimedOutExecutionCountAlarm: { TimedOut: { maxErrorCount: 0 } },
      });
    }
    const named = facade.createdAlarms().map(({ alarm, alarmName }) => {
      const name = `${props.prefix}-${alarmName.slice(ALARM_ID_PREFIX.length + 1)}`;
      (alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmName = name;
      return { alarm, alarmName: name };
    });
    this.alarms = named.map((a) => a.alarm);
    this.allGreen = new AllGreen(this, 'AllGreen', {
      alarmName: `${props.prefix}-all-green`,
      subject: props.prefix,
      alarms: named,
    });
    statusAlarms.push(this.allGreen.alarm, ...this.alarms);
    this.dashboard = facade.createdDashboard()!;
    // As in DataOpsMonitoring: the cfn-lint the CI runs does not know the dashboard Tags property yet.
    (this.dashboard.node.defaultChild as cloudwatch.CfnDashboard).addPropertyDeletionOverride('Tags');
  }
}
