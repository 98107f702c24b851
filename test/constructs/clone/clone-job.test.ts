import '../../../lib/local/runner'; // installs the Promise.withResolvers polyfill aws-local-stepfunctions needs on Node 20
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloneJob } from '../../../constructs/clone/clone-job';
import { buildApp } from '../../../lib/app';
import { parseClonePlan, planDeclared } from '../../../lib/clone/planner';
import { parsePointer } from '../../../lib/clone/snapshot';
import { publishStatements, setupStatements } from '../../../lib/clone/sql';
import { cloneTransfer } from '../../../lib/clone/transfer';
import { resolveDefinition } from '../../../lib/local/definition';
import { exampleConfig } from '../../support/app';

const PLAN_AT = 'kitchens.config.yaml: environments.dev.clone';

/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation templates are untyped JSON */
type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Principal?: unknown };

function identityStatements(template: any): { owner: string; statement: Statement }[] {
  const out: { owner: string; statement: Statement }[] = [];
  for (const [id, r] of Object.entries<any>(template.Resources ?? {})) {
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      const roles = JSON.stringify(r.Properties.Roles ?? []);
      for (const s of r.Properties.PolicyDocument.Statement) out.push({ owner: `${id} ${roles}`, statement: s });
    }
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of r.Properties.Policies ?? []) {
        for (const s of p.PolicyDocument.Statement) out.push({ owner: id, statement: s });
      }
    }
  }
  return out;
}

describe('the production clone job', () => {
  const config = exampleConfig();
  const production = config.environments.find((e) => e.name === 'production')!;
  const dev = config.environments.find((e) => e.name === 'dev')!;
  const plan = parseClonePlan({
    schema: 'analytics',
    tables: [
      {
        name: 'customers',
        sample: { fraction: 0.1, key: 'customer_id' },
        mask: { customer_id: 'keep', email: 'hash' },
      },
      {
        name: 'orders',
        sample: { where: { column: 'status', op: '=', value: "it's {paid}" } },
        references: [{ column: 'customer_id', table: 'customers', key: 'customer_id' }],
        mask: { order_id: 'keep', customer_id: 'keep', status: 'keep', note: 'redact' },
      },
    ],
  });
  const transfer = cloneTransfer('acme', production, dev, {
    plan,
    location: { file: 'kitchens.config.yaml', at: 'environments.dev.clone' },
  });
  const tables = planDeclared(plan);
  const stack = new Stack(new App(), 'Job', { env: { account: production.account, region: production.region } });
  const job = new CloneJob(stack, 'Job', {
    transfer,
    tables,
    sourceSchema: 'analytics',
    schedule: 'cron(0 3 * * ? *)',
    planAt: PLAN_AT,
  });

  async function runJob(status: 'FINISHED' | 'FAILED') {
    const { StateMachine } = await import('aws-local-stepfunctions');
    const machine = new StateMachine(resolveDefinition(job.stateMachine) as never, {
      validationOptions: { checkPaths: false, checkArn: false },
    });
    const submitted: any[] = [];
    const pointers: any[] = [];
    const execution = machine.run({}, {
      overrides: {
        waitTimeOverrides: { 'Publish tables: wait': 0 },
        taskResourceLocalHandlers: {
          'Publish tables': async (input: any) => {
            submitted.push(input);
            return { Id: 'statement-1' };
          },
          'Publish tables: status': async () => ({
            Id: 'statement-1',
            Status: status,
            Error: 'ERROR: clone plan refused: columns without a declared strategy in x: customers.phonenumber',
          }),
          'Point latest at the run': async (input: any) => {
            pointers.push(input);
            return {};
          },
        },
      },
    } as never);
    return { execution, submitted, pointers };
  }

  it('should send exactly the publish statements, as the cloner user, then point latest at the run', async () => {
    const { execution, submitted, pointers } = await runJob('FINISHED');
    await execution.result;
    expect(submitted).toHaveLength(1);
    expect(submitted[0]).toMatchObject({
      ClusterIdentifier: 'acme-production-warehouse',
      Database: 'analytics',
      DbUser: 'kitchens_cloner',
    });
    expect(pointers).toHaveLength(1);
    expect(pointers[0]).toMatchObject({
      Bucket: 'acme-dev-export-222222222222',
      Key: 'snapshots/production/latest.json',
    });
    const pointer = parsePointer(pointers[0].Body, 'latest.json');
    expect(pointer.tables).toStrictEqual(['customers', 'orders']);
    expect(submitted[0].Sqls).toStrictEqual(
      publishStatements(
        tables,
        'analytics',
        { kind: 's3', uri: transfer.snapshotUri, roleChain: transfer.unloadRoleChain },
        'redshift',
        pointer.run,
      ),
    );
    expect(submitted[0].Sqls.join('\n')).toContain(`''it''''s {paid}''`);
  });

  it('fails the execution with Redshift error, and writes no pointer, when a statement fails', async () => {
    const { execution, pointers } = await runJob('FAILED');
    await expect(execution.result).rejects.toThrow('clone plan refused: columns without a declared strategy');
    expect(pointers).toHaveLength(0);
  });

  it('should run the setup as the administrator with the key drawn inside the state machine', () => {
    const definition = JSON.stringify(resolveDefinition(job.setupStateMachine));
    for (const sql of setupStatements(tables, {
      dialect: 'redshift',
      sourceSchema: 'analytics',
      planAt: PLAN_AT,
      unloadRoleChain: transfer.unloadRoleChain,
    })) {
      expect(definition).toContain(JSON.stringify(sql).slice(1, -1));
    }
    expect(definition).toContain(
      "States.Hash(States.Format('{}{}{}', States.UUID(), States.UUID(), States.UUID()), 'SHA-256')",
    );
    Template.fromStack(stack).hasResourceProperties('Custom::AWS', {});
  });

  it('should refuse a plan too large for one Redshift transaction', () => {
    const many = parseClonePlan({
      tables: Array.from({ length: 39 }, (_, i) => ({ name: `t${i}`, mask: { id: 'keep' } })),
    });
    expect(
      () =>
        new CloneJob(
          new Stack(new App(), 'Big', { env: { account: production.account, region: production.region } }),
          'Job',
          {
            transfer,
            tables: planDeclared(many),
            sourceSchema: 'analytics',
            schedule: 'cron(0 3 * * ? *)',
            planAt: PLAN_AT,
          },
        ),
    ).toThrow(
      `${PLAN_AT}.tables must list at most 38 tables (one Redshift transaction of at most 40 statements), got: 39`,
    );
  });
});

describe('who can reach the export chain and production (whole app)', () => {
  const config = exampleConfig();
  const built = buildApp(config, { nag: false });
  const stacks = built.app.node.children.filter((c): c is Stack => c instanceof Stack);
  const templates = stacks.map((s) => ({ stack: s, template: Template.fromStack(s).toJSON() as any }));
  const production = config.environments.find((e) => e.name === 'production')!.account;
  const dev = config.environments.find((e) => e.name === 'dev')!.account;

  it('should give credentials for the cloner database user to the production job role only', () => {
    const holders = templates.flatMap(({ stack, template }) =>
      identityStatements(template)
        .filter(({ statement }) =>
          [statement.Action]
            .flat()
            .some((a) => a === 'redshift:GetClusterCredentials' || a === 'redshift:*' || a === '*'),
        )
        .map(({ owner, statement }) => ({
          stack: stack.stackName,
          owner,
          resources: JSON.stringify(statement.Resource),
        })),
    );
    expect(holders).toHaveLength(1);
    expect(holders[0].stack).toBe('acme-production-clone-to-dev');
    expect(holders[0].owner).toContain('JobRole');
    expect(holders[0].resources).toContain(':dbuser:acme-production-warehouse/kitchens_cloner');
    const exportStack = templates.find(({ stack }) => stack.stackName === 'acme-production-clone-to-dev')!.template;
    const jobRole = Object.values<any>(exportStack.Resources).find(
      (r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === 'acme-production-clone-job',
    );
    expect(jobRole.Properties.AssumeRolePolicyDocument.Statement).toStrictEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' } },
    ]);
    const unload = Object.values<any>(exportStack.Resources).find(
      (r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === 'acme-production-clone-unload',
    );
    expect(unload.Properties.AssumeRolePolicyDocument.Statement).toStrictEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${production}:role/acme-production-warehouse` },
      },
    ]);
  });

  it('should let only the unload role and the job role write to the development export bucket', () => {
    const importStack = templates.find(({ stack }) => stack.stackName === 'acme-dev-clone-from-production')!.template;
    const policy = Object.values<any>(importStack.Resources).find((r) => r.Type === 'AWS::S3::BucketPolicy');
    const writers = policy.Properties.PolicyDocument.Statement.filter(
      (s: Statement) =>
        s.Effect === 'Allow' && [s.Action].flat().some((a) => a.startsWith('s3:Put') || a.startsWith('s3:Delete')),
    );
    expect(writers.map((s: Statement) => [JSON.stringify(s.Principal), JSON.stringify(s.Resource)])).toStrictEqual([
      [
        `{"AWS":"arn:aws:iam::${production}:role/acme-production-clone-unload"}`,
        expect.stringContaining('/snapshots/production/*'),
      ],
      [
        `{"AWS":"arn:aws:iam::${production}:role/acme-production-clone-job"}`,
        expect.stringContaining('/snapshots/production/*'),
      ],
    ]);
  });

  it('should give development principals no path to a production bucket, key or secret', () => {
    const devStacks = templates.filter(({ stack }) => stack.account === dev);
    expect(devStacks.length).toBeGreaterThan(1);
    for (const { stack, template } of devStacks) {
      for (const { owner, statement } of identityStatements(template)) {
        const text = JSON.stringify(statement.Resource ?? '');
        expect(
          `${stack.stackName} ${owner}: ${text.includes(production) || text.includes('acme-production') ? text : 'ok'}`,
        ).toBe(`${stack.stackName} ${owner}: ok`);
      }
    }
    const prodStacks = templates.filter(({ stack }) => stack.account === production);
    for (const { stack, template } of prodStacks) {
      for (const [id, r] of Object.entries<any>(template.Resources)) {
        const doc = r.Properties?.PolicyDocument ?? r.Properties?.KeyPolicy ?? r.Properties?.ResourcePolicy;
        if (doc === undefined || !/Policy|Key|Secret/.test(r.Type)) continue;
        const principals = JSON.stringify((doc.Statement ?? []).map((s: Statement) => s.Principal ?? null));
        expect(`${stack.stackName} ${id}: ${principals.includes(dev) ? principals : 'ok'}`).toBe(
          `${stack.stackName} ${id}: ok`,
        );
      }
    }
  });

  it('should schedule the job in production and enable it there', () => {
    const exportStack = templates.find(({ stack }) => stack.stackName === 'acme-production-clone-to-dev')!.template;
    const rules = Object.values<any>(exportStack.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rules.map((r) => [r.Properties.ScheduleExpression, r.Properties.State])).toStrictEqual([
      ['cron(0 3 * * ? *)', 'ENABLED'],
    ]);
  });
});
