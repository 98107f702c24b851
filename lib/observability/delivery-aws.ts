/**
 * Reads what `kitchen metrics` computes from: the environment stack's events (DescribeStackEvents, paged) and the
 * executions of each pipeline's state machine (ListExecutions, paged). Clients are passed in (`send` only), so the
 * same code runs against AWS, moto_server or a recording.
 */
import type { DescribeStackEventsCommandOutput } from '@aws-sdk/client-cloudformation';
import type { ListExecutionsCommandOutput } from '@aws-sdk/client-sfn';
import type { SdkClient } from '../kitchen/aws';
import type { ExecutionLike, StackEventLike } from './delivery';

const STARTED = new Set(['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS']);

/**
 * The stack's events, newest first, back to the start of the last operation that began before `since` (so a deploy
 * that ended inside the window is whole). Throws the SDK's error when the stack does not exist.
 */
export async function readStackEvents(cfn: SdkClient, stackName: string, since: Date): Promise<StackEventLike[]> {
  const { DescribeStackEventsCommand } = await import('@aws-sdk/client-cloudformation');
  const events: StackEventLike[] = [];
  let token: string | undefined;
  do {
    const page = (await cfn.send(
      new DescribeStackEventsCommand({ StackName: stackName, NextToken: token }),
    )) as DescribeStackEventsCommandOutput;
    events.push(...(page.StackEvents ?? []));
    token = page.NextToken;
    const reachedStart = events.some(
      (e) =>
        e.ResourceType === 'AWS::CloudFormation::Stack' &&
        e.LogicalResourceId === stackName &&
        STARTED.has(e.ResourceStatus ?? '') &&
        new Date(e.Timestamp ?? 0).getTime() < since.getTime(),
    );
    if (reachedStart) break;
  } while (token);
  return events;
}

/** The executions of one state machine that started at or after `since` (ListExecutions lists newest first). */
export async function readExecutions(sfn: SdkClient, stateMachineArn: string, since: Date): Promise<ExecutionLike[]> {
  const { ListExecutionsCommand } = await import('@aws-sdk/client-sfn');
  const executions: ExecutionLike[] = [];
  let token: string | undefined;
  do {
    const page = (await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, nextToken: token, maxResults: 1000 }),
    )) as ListExecutionsCommandOutput;
    const items = page.executions ?? [];
    executions.push(...items.filter((e) => new Date(e.startDate ?? 0).getTime() >= since.getTime()));
    token = page.nextToken;
    if (items.some((e) => new Date(e.startDate ?? 0).getTime() < since.getTime())) break;
  } while (token);
  return executions;
}
