/**
 * The schedule of a pipeline: an EventBridge rule that starts the state machine. It is deployed in every
 * environment so environments stay aligned, and ENABLED only where the environment runs schedules (production).
 */
import { Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Props of a {@link PipelineSchedule}. */
export interface PipelineScheduleProps {
  /** The pipeline state machine the rule starts. */
  readonly stateMachine: sfn.IStateMachine;
  /** EventBridge schedule expression, e.g. `cron(0 5 * * ? *)` or `rate(1 hour)`. */
  readonly expression: string;
  /** Whether the rule starts executions; false deploys it DISABLED. */
  readonly enabled: boolean;
  /** Description of the EventBridge rule. @default - the rule has no description */
  readonly description?: string;
}

export class PipelineSchedule extends Construct {
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: PipelineScheduleProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.expression) && !/^(cron|rate)\(.+\)$/.test(props.expression)) {
      throw new Error(
        `PipelineSchedule: expression must be "cron(...)" or "rate(...)", got: ${JSON.stringify(props.expression)}`,
      );
    }
    this.rule = new events.Rule(this, 'Resource', {
      schedule: events.Schedule.expression(props.expression),
      enabled: props.enabled,
      description: props.description,
      targets: [new targets.SfnStateMachine(props.stateMachine, { retryAttempts: 2 })],
    });
  }
}
