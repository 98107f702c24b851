/**
 * `kitchen run PIPELINE --kitchen NAME` through the CLI against moto's Step Functions: the Kitchen's state machine
 * (named by lib/naming) is started in the development account. moto serves account 222222222222 to credentials
 * from an STS AssumeRole into it.
 */
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { useMotoAccount } from '../lib/kitchen/moto';
import { kitchen } from './support/cli';

const REGION = 'eu-south-1';
useMotoAccount('222222222222', 'kitchen-run-test');

beforeAll(async () => {
  const sfn = new SFNClient({ region: REGION });
  await sfn.send(
    new CreateStateMachineCommand({
      name: 'acme-dev-profit-report-orders',
      roleArn: 'arn:aws:iam::222222222222:role/acme-dev-profit-report-orders',
      definition: JSON.stringify({ StartAt: 'Start orders', States: { 'Start orders': { Type: 'Pass', End: true } } }),
    }),
  );
});

describe('kitchen run --kitchen', () => {
  it("should start the Kitchen's state machine and print the execution", async () => {
    const run = await kitchen(['--json', 'run', 'orders', '--kitchen', 'profit-report', '--region', REGION]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      pipeline: 'orders',
      kitchen: 'profit-report',
      status: 'RUNNING',
      stateMachineArn: `arn:aws:states:${REGION}:222222222222:stateMachine:acme-dev-profit-report-orders`,
    });
    const execution = await new SFNClient({ region: REGION }).send(
      new DescribeExecutionCommand({ executionArn: result.executionArn }),
    );
    expect(execution.stateMachineArn).toBe(result.stateMachineArn);
    expect(execution.name).toMatch(/^profit-report-\d{8}T\d{6}Z-[a-z0-9]{1,4}$/);
  });

  it('fails with exit code 2 when the Kitchen has no state machine for the pipeline', async () => {
    const run = await kitchen(['run', 'billing', '--kitchen', 'profit-report', '--region', REGION]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: Kitchen profit-report has no state machine for pipeline billing (arn:aws:states:${REGION}:222222222222:stateMachine:acme-dev-profit-report-billing does not exist): check the pipeline id and that the Kitchen is deployed (kitchen status profit-report)\n`,
    );
  });
});
