/**
 * `kitchen metrics` through the CLI against moto_server: the production stack is created and updated twice through
 * CloudFormation (moto records the stack's CREATE and UPDATE events) and the orders pipeline's state machine has
 * runs (moto lists them with ListExecutions), all in the production account 111111111111 (STS AssumeRole). moto
 * records no resource events, so commits (and lead times) come out unknown here: test/lib/observability/delivery and
 * deployment tests cover them with CloudFormation's event shapes and the synthesized marker.
 */
import { CloudFormationClient, CreateStackCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateStateMachineCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { useMotoAccount } from '../lib/kitchen/moto';
import { kitchen } from './support/cli';

const REGION = 'eu-west-1';
useMotoAccount('111111111111', 'kitchen-metrics-test');

const template = (commit: string) =>
  JSON.stringify({
    Metadata: { 'kitchens:deployment': { commit, committedAt: '2026-11-28T08:00:00Z', source: 'context' } },
    Resources: {
      DeployedCommit6E3D1A45: {
        Type: 'AWS::SSM::Parameter',
        Properties: {
          Name: '/acme/production/deployment/commit',
          Type: 'String',
          Value: JSON.stringify({ commit, committedAt: '2026-11-28T08:00:00Z' }),
        },
      },
    },
  });

let aborted = '';
beforeAll(async () => {
  const cfn = new CloudFormationClient({ region: REGION });
  const sfn = new SFNClient({ region: REGION });
  await cfn.send(new CreateStackCommand({ StackName: 'acme-production', TemplateBody: template('a'.repeat(40)) }));
  await cfn.send(new UpdateStackCommand({ StackName: 'acme-production', TemplateBody: template('b'.repeat(40)) }));
  await cfn.send(new UpdateStackCommand({ StackName: 'acme-production', TemplateBody: template('c'.repeat(40)) }));
  const machine = await sfn.send(
    new CreateStateMachineCommand({
      name: 'acme-production-orders',
      roleArn: 'arn:aws:iam::111111111111:role/acme-production-orders',
      definition: JSON.stringify({ StartAt: 'Start orders', States: { 'Start orders': { Type: 'Pass', End: true } } }),
    }),
  );
  // The first run after the last deploy is aborted (a failed run); a second one is still running.
  const first = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: machine.stateMachineArn, name: 'orders-after-deploy' }),
  );
  await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
  aborted = first.executionArn!;
  await sfn.send(new StartExecutionCommand({ stateMachineArn: machine.stateMachineArn, name: 'orders-running' }));
  cfn.destroy();
  sfn.destroy();
});

describe('kitchen metrics', () => {
  it("should compute the production environment's metrics from moto's stack events and executions", async () => {
    const run = await kitchen(['--json', 'metrics', '--since', '1d']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const m = JSON.parse(run.stdout);
    expect(m).toMatchObject({ environment: 'production', stack: 'acme-production', days: 1, runs: 2 });
    expect(m.pipelinesNotDeployed).toStrictEqual([]);
    expect(m.deployments.map((d: { status: string; outcome: string }) => [d.status, d.outcome])).toStrictEqual([
      ['CREATE_COMPLETE', 'succeeded'],
      ['UPDATE_COMPLETE', 'succeeded'],
      ['UPDATE_COMPLETE', 'succeeded'],
    ]);
    // moto's events carry no resource events: no commit, no lead time
    expect(m.deployments.map((d: { commit?: string }) => d.commit)).toStrictEqual([undefined, undefined, undefined]);
    expect([m.medianLeadTimeSeconds, m.leadTimeCommits, m.leadTimeNotes]).toStrictEqual([undefined, 0, []]);
    expect(m.deploymentsPerDay).toBe(3);
    expect(m.deployments[2].failure).toBe('first run of orders (orders-after-deploy) ABORTED');
    expect(m.changeFailureRate).toBe(0.333);
    expect(m.incidents).toStrictEqual([
      { kind: 'run', subject: 'orders', failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    ]);
    expect(aborted).toContain(':execution:acme-production-orders:orders-after-deploy');
  });

  it('should print a table for people', async () => {
    const run = await kitchen(['metrics', '--since', '1d']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/UPDATE_COMPLETE +- +- +- +first run of orders \(orders-after-deploy\) ABORTED\n/);
    expect(run.stdout).toMatch(/^Delivery metrics of production \(stack acme-production\), /);
    expect(run.stdout).toMatch(/\nDeployment frequency +3\/day \(21\/week\) +3 succeeded deploy\(s\)\n/);
    expect(run.stdout).toMatch(/\nLead time \(median\) +- +0 commit\(s\) of 0 deploy\(s\) with a known commit time\n/);
    expect(run.stdout).toMatch(/\nChange failure rate +33\.3% +1 of 3 deploy\(s\)\n/);
    expect(run.stdout).toMatch(/\nTime to restore \(median\) +- +0 of 1 incident\(s\) restored\n/);
  });

  it('fails with exit code 3 naming the stack when the environment is not deployed', async () => {
    const run = await kitchen(['metrics', '--env', 'dev']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      'error: kitchen metrics: could not read the events of stack acme-dev in eu-west-1: ValidationError: Stack with id acme-dev does not exist\n',
    );
  });

  it('fails with exit code 2 on a bad --env or --since, before calling AWS', async () => {
    const env = await kitchen(['metrics', '--env', 'staging']);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain(
      '--env: kitchens.config.yaml: no environment named "staging"; environments are: production, dev',
    );
    const since = await kitchen(['metrics', '--since', 'yesterday']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain(
      '--since it must be a number of days such as 30d, or an ISO 8601 date or time such as 2026-11-01 or 2026-11-01T08:00:00Z, got: "yesterday"',
    );
  });
});
