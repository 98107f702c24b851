import '../../../lib/local/runner'; // installs the Promise.withResolvers polyfill aws-local-stepfunctions needs on Node 20
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CLONE_POLL_INTERVAL, CLONE_SETUP_TIMEOUT, CloneJob } from '../../../constructs/clone/clone-job';
import { newestNodeRuntime } from '../../../constructs/core/runtime';
import { buildApp } from '../../../lib/app';
import { parseClonePlan, planDeclared } from '../../../lib/clone/planner';
import { parsePointer } from '../../../lib/clone/snapshot';
import { fingerprint, KEY_FILE_PLACEHOLDER, publishStatements, setupStatements } from '../../../lib/clone/sql';
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
    const listed: any[] = [];
    const removed: string[] = [];
    // What the failed run wrote before failing: two pages, then nothing left.
    let files = Array.from({ length: 1003 }, (_, i) => `snapshots/production/RUN/tables/customers/000${i}.parquet`);
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
          'Cleanup: list the failed run': async (input: any) => {
            listed.push(input);
            const page = files.slice(0, input.MaxKeys).map((k) => k.replace('RUN', input.Prefix.split('/')[2]));
            return {
              KeyCount: page.length,
              ...(page.length > 0 ? { Contents: page.map((Key) => ({ Key, Size: 1 })) } : {}),
            };
          },
          'Cleanup: remove a file': async (input: any) => {
            removed.push(input.Key);
            files = files.filter((k) => k.replace('RUN', input.Key.split('/')[2]) !== input.Key);
            return {};
          },
        },
      },
    } as never);
    return { execution, submitted, pointers, listed, removed };
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

  it('should remove every file of a failed run, page by page, before failing with the original error', async () => {
    const { execution, submitted, listed, removed } = await runJob('FAILED');
    await expect(execution.result).rejects.toThrow(
      'Publish tables: ERROR: clone plan refused: columns without a declared strategy in x: customers.phonenumber',
    );
    const run = submitted[0].Sqls.join('\n').match(/snapshots\/production\/([0-9a-f-]{36})\//)[1];
    expect(listed.map((l) => `${l.Bucket} ${l.Prefix} ${l.MaxKeys}`)).toStrictEqual(
      Array(3).fill(`acme-dev-export-222222222222 snapshots/production/${run}/ 1000`),
    );
    expect(removed).toHaveLength(1003);
    expect(new Set(removed).size).toBe(1003);
    expect(removed.every((k) => k.startsWith(`snapshots/production/${run}/tables/customers/`))).toBe(true);
  });

  it('should not clean up after a run that succeeded', async () => {
    const { execution, listed, removed } = await runJob('FINISHED');
    await execution.result;
    expect([listed.length, removed.length]).toStrictEqual([0, 0]);
  });

  it('should run the setup as the administrator, the key drawn by the key function and loaded by COPY', () => {
    const definition = JSON.stringify(resolveDefinition(job.setupStateMachine));
    for (const sql of setupStatements(tables, {
      dialect: 'redshift',
      sourceSchema: 'analytics',
      planAt: PLAN_AT,
      unloadRoleChain: transfer.unloadRoleChain,
    }).filter((sql) => !sql.includes(KEY_FILE_PLACEHOLDER))) {
      expect(definition).toContain(JSON.stringify(sql).slice(1, -1));
    }
    expect(definition).toContain(
      "States.Format('COPY kitchens_key_load FROM \\\\'{}\\\\' IAM_ROLE \\\\'arn:aws:iam::111111111111:role/acme-production-warehouse\\\\' FORMAT AS CSV', States.Format('s3://{}/{}', $.keyFile.bucket, $.keyFile.key))",
    );
    // Nothing in the state machine draws or carries a key: no UUIDs, no hashes, no statement parameters.
    expect(definition).not.toMatch(/States\.(UUID|Hash)|"Parameters":\[/);
  });

  it('fails the setup with Redshift message only when the key step fails', async () => {
    // GIVEN the setup executed locally, its key step failing in the warehouse
    const { StateMachine } = await import('aws-local-stepfunctions');
    // (asl-validator's schema refuses the dollar-quoted procedure bodies of the setup; the engine runs them as text)
    const machine = new StateMachine(
      resolveDefinition(job.setupStateMachine) as never,
      {
        validationOptions: { noValidate: true },
      } as never,
    );
    const status = (Status: string) => async (input: any) => ({
      Id: input.Id,
      Status,
      Error: 'ERROR: permission denied for relation hash_key',
    });
    const waits = ['Setup: schema and key table', 'Setup: key (once)', 'Setup: cloner user and grants'];
    const execution = machine.run({ setup: 'x' }, {
      context: { Execution: { Name: 'setup-x-1' } },
      overrides: {
        waitTimeOverrides: Object.fromEntries(waits.map((w) => [`${w}: wait`, 0])),
        taskResourceLocalHandlers: {
          'Setup: schema and key table': async () => ({ Id: 'batch' }),
          'Setup: schema and key table: status': status('FINISHED'),
          'Setup: draw the key': async (input: any) => ({ bucket: 'drop', key: input.key }),
          'Setup: key (once)': async () => ({ Id: 'key' }),
          'Setup: key (once): status': status('FAILED'),
        },
      },
    } as never);
    // THEN the execution fails with the step and Redshift's message
    const failure = await execution.result.then(
      () => undefined,
      (e: any) => e,
    );
    // aws-local-stepfunctions: the Fail state's error is the cause's name, its cause the cause's message
    const { name, message } = failure.cause;
    expect([name, message]).toStrictEqual([
      'CloneStatementFailed',
      'Setup: key (once): ERROR: permission denied for relation hash_key',
    ]);
  });

  describe('the deploy-time setup run (template)', () => {
    const template = Template.fromStack(stack);
    const json = template.toJSON() as any;
    const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
    const setupId = logicalId(job.setupStateMachine);
    const runId = stack.getLogicalId(job.setupRun.resource.node.defaultChild as never);
    const setup = setupStatements(tables, {
      dialect: 'redshift',
      sourceSchema: 'analytics',
      planAt: PLAN_AT,
      unloadRoleChain: transfer.unloadRoleChain,
    });

    it('should run the setup state machine through a provider that waits for it, instead of only starting it', () => {
      template.resourceCountIs('Custom::AWS', 0);
      expect(json.Resources[runId]).toMatchObject({
        Type: 'Custom::CloneSetup',
        Properties: { StateMachineArn: { Ref: setupId }, Fingerprint: fingerprint(setup) },
      });
      const handlers = Object.values<any>(json.Resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Handler).startsWith('index.'))
        .map((r) => [r.Properties.Handler, r.Properties.Runtime]);
      // the provider's two handlers, and the function that draws the hash key (HashKeyDrop)
      expect(handlers.sort()).toStrictEqual([
        ['index.handler', newestNodeRuntime().name],
        ['index.isComplete', newestNodeRuntime().name],
        ['index.onEvent', newestNodeRuntime().name],
      ]);
    });

    it('should wait as long as the setup can run, polling as often as the setup polls the Data API', () => {
      const waiter = Object.values<any>(json.Resources).find(
        (r) =>
          r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties.RoleArn['Fn::GetAtt'][0].includes('waiter'),
      );
      const definition = JSON.stringify(waiter.Properties.DefinitionString);
      const setupDefinition = resolveDefinition(job.setupStateMachine) as any;
      expect(setupDefinition.TimeoutSeconds).toBe(CLONE_SETUP_TIMEOUT.toSeconds());
      const waits = Object.values<any>(setupDefinition.States).filter((st) => st.Type === 'Wait');
      expect(waits.map((w) => w.Seconds)).toStrictEqual([10, 10, 10]);
      expect([CLONE_SETUP_TIMEOUT.toSeconds(), CLONE_POLL_INTERVAL.toSeconds()]).toStrictEqual([1800, 10]);
      // 30 minutes plus two polls, every 10 s: 182 checks
      expect(definition).toContain('\\"IntervalSeconds\\":10,\\"MaxAttempts\\":182,\\"BackoffRate\\":1');
    });

    it('should let the handlers start executions of the setup state machine and read those executions only', () => {
      const states = identityStatements(json)
        .filter(({ statement }) => [statement.Action].flat().some((a) => a.startsWith('states:')))
        .map(({ owner, statement }) => [owner.split(' ')[0], statement.Action, statement.Resource]);
      const role = (prefix: string) => Object.keys(json.Resources).find((id) => id.startsWith(prefix))!;
      const waiterId = Object.keys(json.Resources).find(
        (id) => id.includes('waiterstatemachine') && json.Resources[id].Type === 'AWS::StepFunctions::StateMachine',
      );
      expect(states).toStrictEqual([
        // the schedule starts the publish job
        [role('JobEventsRoleDefaultPolicy'), 'states:StartExecution', { Ref: logicalId(job.stateMachine) }],
        [role('JobSetupRunOnEventRoleDefaultPolicy'), 'states:StartExecution', { Ref: setupId }],
        [
          role('JobSetupRunIsCompleteRoleDefaultPolicy'),
          'states:DescribeExecution',
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                `:states:${production.region}:${production.account}:execution:`,
                { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: setupId }] }] },
                ':*',
              ],
            ],
          },
        ],
        // the provider framework starts its own waiter
        [role('JobSetupRunFrameworkOnEventRoleDefaultPolicy'), 'states:StartExecution', { Ref: waiterId }],
      ]);
    });

    it('should create or change the publish job only after the setup run succeeded', () => {
      const publishId = logicalId(job.stateMachine);
      expect(json.Resources[publishId].DependsOn).toContain(runId);
      expect(json.Resources[setupId].DependsOn ?? []).not.toContain(runId);
    });

    it('should keep the logs of the handlers, the framework and the waiter encrypted with the vault key, for the retention', () => {
      const groups = Object.entries<any>(json.Resources).filter(
        ([id, r]) => r.Type === 'AWS::Logs::LogGroup' && id.startsWith('JobSetupRun'),
      );
      expect(groups).toHaveLength(4);
      for (const [, group] of groups) {
        expect(group.Properties).toStrictEqual({
          KmsKeyId: { Ref: expect.stringMatching(/^SsmParameterValueacmeproductionvaultkeyarn/) },
          RetentionInDays: production.retention.logDays,
        });
      }
      const waiter = Object.values<any>(json.Resources).find(
        (r) =>
          r.Type === 'AWS::StepFunctions::StateMachine' &&
          r.Properties.LoggingConfiguration?.IncludeExecutionData === false &&
          JSON.stringify(r.Properties.RoleArn).includes('waiter'),
      );
      expect(waiter.Properties.LoggingConfiguration.Level).toBe('ALL');
      // the handlers and the framework's three functions write only into those groups
      const functions = Object.entries<any>(json.Resources)
        .filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('JobSetupRun'))
        .map(([, r]) => r);
      expect(functions).toHaveLength(5);
      for (const fn of functions) {
        expect(groups.map(([id]) => id)).toContain(fn.Properties.LoggingConfig.LogGroup.Ref);
      }
    });
  });

  it('should refuse a statement over the Data API limit of 100 KB, naming the table', () => {
    const wide = parseClonePlan({
      tables: [
        {
          name: 'orders',
          sample: {
            where: {
              column: 'status',
              op: 'in',
              values: Array.from({ length: 1000 }, (_, i) => `${'s'.repeat(120)}${i}`),
            },
          },
          mask: { order_id: 'keep', status: 'keep' },
        },
      ],
    });
    expect(
      () =>
        new CloneJob(
          new Stack(new App(), 'Wide', { env: { account: production.account, region: production.region } }),
          'Job',
          {
            transfer,
            tables: planDeclared(wide),
            sourceSchema: 'analytics',
            schedule: 'cron(0 3 * * ? *)',
            planAt: PLAN_AT,
          },
        ),
    ).toThrow(
      new RegExp(
        `^${PLAN_AT}: statement 2 of the publication \\(table orders\\) is 1[0-9]{5} bytes; the Redshift Data API takes at most 102400 bytes per statement: shorten its filter's value lists$`,
      ),
    );
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
      `${PLAN_AT}.tables make a publication of 41 statements; one Redshift transaction (BatchExecuteStatement) takes at most 40: one UNLOAD per table (39), one staging per table others refer to (0), the guard, the closure and the column list`,
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
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'states.amazonaws.com' },
        // only Step Functions acting for a state machine of the production account
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111111111111' },
          ArnLike: { 'aws:SourceArn': 'arn:aws:states:eu-west-1:111111111111:stateMachine:*' },
        },
      },
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
