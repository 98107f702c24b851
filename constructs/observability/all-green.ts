/**
 * One signal per environment or Kitchen: a composite alarm that is OK exactly when every alarm given to it is OK
 * ("all green"), and in ALARM when any of them is. CloudWatch caps a composite alarm's rule at 10,240 characters
 * (about 130 alarms with names like ours): past that, the alarms are split into child composites, each under the
 * cap, and the top composite watches the children.
 */
import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

/** CloudWatch's limit on the length of a composite alarm's rule. */
export const COMPOSITE_RULE_MAX_CHARS = 10_240;

/** An alarm and its physical name (the rule names each alarm by its ARN, which ends in the name). */
export interface NamedAlarm {
  readonly alarm: cloudwatch.IAlarm;
  readonly alarmName: string;
}

/**
 * The length one alarm adds to an `anyOf` rule: `ALARM("arn:PARTITION:cloudwatch:REGION:ACCOUNT:alarm:NAME")` and
 * the ` OR ` that joins it, with the longest partition name, so the estimate never falls short.
 */
export function ruleTermLength(alarmName: string, region: string, account: string): number {
  return `ALARM("arn:aws-iso-b:cloudwatch:${region}:${account}:alarm:${alarmName}") OR `.length;
}

/** Splits alarms, in order, into groups whose `anyOf` rule stays under `max` characters. */
export function chunkByRuleLength<T>(items: readonly T[], length: (item: T) => number, max: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let used = 2; // the parentheses around the rule
  for (const item of items) {
    const size = length(item);
    if (current.length > 0 && used + size > max) {
      chunks.push(current);
      current = [];
      used = 2;
    }
    current.push(item);
    used += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Props of {@link AllGreen}. */
export interface AllGreenProps {
  /** The composite alarm's name; child composites add `-part-N`. */
  readonly alarmName: string;
  /** What is watched, for the description (`environment acme-dev`, `Kitchen profit-report`). */
  readonly subject: string;
  /** The alarms to watch, with their physical names. */
  readonly alarms: readonly NamedAlarm[];
  /**
   * The most characters of one rule (tests lower it to prove the nesting).
   * @default COMPOSITE_RULE_MAX_CHARS
   */
  readonly maxRuleLength?: number;
}

/** The "all green" composite alarm of one environment or Kitchen. */
export class AllGreen extends Construct {
  /** The top composite alarm. */
  public readonly alarm: cloudwatch.CompositeAlarm;
  /** The child composites when the alarms did not fit one rule (empty otherwise). */
  public readonly parts: readonly cloudwatch.CompositeAlarm[];

  constructor(scope: Construct, id: string, props: AllGreenProps) {
    super(scope, id);
    if (props.alarms.length === 0) {
      throw new Error(`AllGreen ${props.alarmName}: alarms must list at least one alarm, got none`);
    }
    const { region, account } = Stack.of(this);
    const max = props.maxRuleLength ?? COMPOSITE_RULE_MAX_CHARS;
    const description = `OK when every alarm of ${props.subject} is OK; in ALARM when any is (the dashboard's first tile).`;
    const chunks = chunkByRuleLength(props.alarms, (a) => ruleTermLength(a.alarmName, region, account), max);
    const composite = (cid: string, name: string, alarms: readonly cloudwatch.IAlarm[], text: string) =>
      new cloudwatch.CompositeAlarm(this, cid, {
        compositeAlarmName: name,
        alarmDescription: text,
        alarmRule: cloudwatch.AlarmRule.anyOf(...alarms),
        // The alarms it watches notify (ALARM and OK) themselves: the composite is the signal to look at, and
        // notifying too would say everything twice.
        actionsEnabled: false,
      });
    if (chunks.length === 1) {
      this.parts = [];
      this.alarm = composite(
        'Resource',
        props.alarmName,
        chunks[0].map((a) => a.alarm),
        description,
      );
      return;
    }
    this.parts = chunks.map((chunk, i) =>
      composite(
        `Part${i + 1}`,
        `${props.alarmName}-part-${i + 1}`,
        chunk.map((a) => a.alarm),
        `Part ${i + 1} of ${chunks.length} of the all-green alarm of ${props.subject}.`,
      ),
    );
    this.alarm = composite('Resource', props.alarmName, this.parts, description);
  }
}
