/**
 * The deploy and destroy paths with a fake Toolkit injected: which stack is selected, which context the app is
 * synthesized with, and idempotency (create twice updates, delete twice is a no-op with a note). The fake keeps its
 * stacks in moto's CloudFormation, tagged from the context the way the Kitchen stack tags itself.
 */
import type {
  AssemblyBuilder,
  DeployOptions,
  DeployResult,
  DestroyOptions,
  DestroyResult,
  FromAssemblyBuilderOptions,
  ICloudAssemblySource,
} from '@aws-cdk/toolkit-lib';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CliError } from '../../../lib/cli/errors';
import { ConfigError } from '../../../lib/config/errors';
import type { EnvironmentConfig, KitchensConfig } from '../../../lib/config/model';
import {
  createKitchen,
  deleteKitchen,
  KitchenIoHost,
  type KitchenToolkit,
  type SynthesizedAssembly,
} from '../../../lib/kitchen/deploy';
import { describeKitchenStack } from '../../../lib/kitchen/stacks';
import { exampleConfigNoCdk } from './config';
import { deleteStack, motoCloudFormation, putStack } from './moto';

const REGION = 'ca-central-1';
const NOW = new Date('2030-03-01T10:00:00Z');

interface Call {
  readonly action: 'deploy' | 'destroy';
  readonly stacks: unknown;
}

/** Synthesizes nothing: its assembly holds an environment stack and the Kitchen stack of the context. */
class FakeToolkit implements KitchenToolkit {
  public readonly sources: {
    builder: AssemblyBuilder;
    props: FromAssemblyBuilderOptions;
    context: Record<string, unknown>;
  }[] = [];
  public readonly calls: Call[] = [];
  public disposed = 0;
  public failDeploy?: Error;
  public kitchenInAssembly = true;

  constructor(private readonly cfn: CloudFormationClient) {}

  private get context(): Record<string, unknown> {
    return this.sources[this.sources.length - 1].context;
  }

  private get stackName(): string {
    return `acme-${this.context.kitchenEnv}-kitchen-${this.context.kitchen}`;
  }

  async fromAssemblyBuilder(
    builder: AssemblyBuilder,
    props: FromAssemblyBuilderOptions = {},
  ): Promise<ICloudAssemblySource> {
    this.sources.push({ builder, props, context: await props.contextStore!.read() });
    return { produce: async () => Promise.reject(new Error('the fake toolkit never produces')) };
  }

  async synth(cx: ICloudAssemblySource): Promise<SynthesizedAssembly> {
    const kitchen = {
      stackName: this.stackName,
      hierarchicalId: this.stackName,
      template: { Resources: { A: {}, B: {}, C: {} } },
    };
    return {
      ...cx,
      cloudAssembly: {
        stacksRecursively: [
          { stackName: 'acme-dev', hierarchicalId: 'acme-dev', template: { Resources: { Vpc: {} } } },
          ...(this.kitchenInAssembly ? [kitchen] : []),
        ],
      },
      dispose: async () => {
        this.disposed++;
      },
    };
  }

  async deploy(_cx: ICloudAssemblySource, options: DeployOptions = {}): Promise<DeployResult> {
    this.calls.push({ action: 'deploy', stacks: options.stacks });
    if (this.failDeploy) throw this.failDeploy;
    const existed = (await describeKitchenStack(this.cfn, this.stackName)) !== undefined;
    const c = this.context;
    await putStack(
      this.cfn,
      this.stackName,
      {
        'kitchens:project': 'acme',
        'kitchens:environment': String(c.kitchenEnv),
        'kitchens:kitchen': String(c.kitchen),
        'kitchens:owner': String(c.kitchenOwner),
        'kitchens:parent': String(c.kitchenParent),
        'kitchens:expires': String(c.kitchenExpires),
      },
      { SchemaName: `k_${String(c.kitchen).replace(/-/g, '_')}`, Owner: String(c.kitchenOwner) },
      existed,
    );
    const stack = await describeKitchenStack(this.cfn, this.stackName);
    return {
      stacks: [
        {
          stackName: this.stackName,
          hierarchicalId: this.stackName,
          stackArn: stack!.StackId!,
          environment: { account: '222222222222', region: 'eu-west-1' },
          outputs: Object.fromEntries((stack!.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!])),
          deleteFailures: [],
        },
      ],
    };
  }

  async destroy(_cx: ICloudAssemblySource, options: DestroyOptions = {}): Promise<DestroyResult> {
    this.calls.push({ action: 'destroy', stacks: options.stacks });
    const existed = (await describeKitchenStack(this.cfn, this.stackName)) !== undefined;
    if (existed) await deleteStack(this.cfn, this.stackName);
    return {
      stacks: [
        {
          stackName: this.stackName,
          stackArn: undefined,
          environment: { account: '222222222222', region: 'eu-west-1' },
          stackExisted: existed,
        },
      ],
    };
  }
}

function only(stackName: string) {
  return { strategy: 'pattern-must-match-single', patterns: [stackName], expand: 'none' };
}

describe('createKitchen and deleteKitchen with a fake Toolkit', () => {
  const cfn = motoCloudFormation(REGION);
  let config: KitchensConfig;
  let dev: EnvironmentConfig;
  const aws = { region: REGION };
  const stackName = 'acme-dev-kitchen-fake-deploy';

  beforeAll(() => {
    config = exampleConfigNoCdk();
    dev = config.environments.find((e) => e.name === 'dev')!;
  });

  it('should create, then update on re-run keeping owner, parent and expiry, then delete once', async () => {
    const toolkit = new FakeToolkit(cfn);
    const log: string[] = [];
    const deps = {
      toolkit,
      cloudFormation: cfn,
      now: NOW,
      log: (level: string, message: string) => log.push(`${level}: ${message}`),
    };

    // WHEN: the first create
    const created = await createKitchen(
      {
        config,
        environment: dev,
        name: 'fake-deploy',
        owner: 'alice',
        parent: 'dev',
        staff: ['arn:aws:iam::222222222222:user/alice'],
        expires: '2030-03-04T10:00:00Z',
        aws,
      },
      deps,
    );
    // THEN: the app is synthesized with exactly the Kitchen context, and only the Kitchen stack is deployed
    expect(toolkit.sources[0].context).toStrictEqual({
      kitchen: 'fake-deploy',
      kitchenEnv: 'dev',
      kitchenOwner: 'alice',
      kitchenParent: 'dev',
      kitchenStaff: 'arn:aws:iam::222222222222:user/alice',
      kitchenExpires: '2030-03-04T10:00:00Z',
      kitchenSlackChannel: 'C07KITCHENS',
    });
    expect(toolkit.sources[0].props).toMatchObject({
      resolveDefaultEnvironment: false,
      clobberEnv: false,
      lookups: true,
    });
    expect(toolkit.calls).toStrictEqual([{ action: 'deploy', stacks: only(stackName) }]);
    expect(created).toMatchObject({
      name: 'fake-deploy',
      environment: 'dev',
      stackName,
      action: 'created',
      resourceCount: 3,
      owner: 'alice',
      parent: 'dev',
      expires: '2030-03-04T10:00:00Z',
      outputs: { SchemaName: 'k_fake_deploy', Owner: 'alice' },
    });
    expect(created.stackArn).toMatch(/:stack\/acme-dev-kitchen-fake-deploy\//);
    expect(log).toContain(`info: Creating Kitchen fake-deploy in 222222222222/eu-west-1`);

    // WHEN: create again, by someone else, without flags
    const updated = await createKitchen({ config, environment: dev, name: 'fake-deploy', aws }, deps);
    // THEN: the same stack is updated; owner, parent and expiry come from its tags
    expect(updated).toMatchObject({
      action: 'updated',
      owner: 'alice',
      parent: 'dev',
      expires: '2030-03-04T10:00:00Z',
    });
    expect(toolkit.sources[1].context).toStrictEqual({
      kitchen: 'fake-deploy',
      kitchenEnv: 'dev',
      kitchenOwner: 'alice',
      kitchenParent: 'dev',
      kitchenExpires: '2030-03-04T10:00:00Z',
      kitchenSlackChannel: 'C07KITCHENS',
    });
    expect(toolkit.calls).toStrictEqual([
      { action: 'deploy', stacks: only(stackName) },
      { action: 'deploy', stacks: only(stackName) },
    ]);

    // WHEN: create again with a new TTL
    const extended = await createKitchen(
      { config, environment: dev, name: 'fake-deploy', expires: '2030-03-10T10:00:00Z', aws },
      deps,
    );
    expect(extended).toMatchObject({ action: 'updated', owner: 'alice', expires: '2030-03-10T10:00:00Z' });
    expect((await describeKitchenStack(cfn, stackName))!.Tags).toContainEqual({
      Key: 'kitchens:expires',
      Value: '2030-03-10T10:00:00Z',
    });

    // WHEN: delete, twice
    const deleted = await deleteKitchen({ config, environment: dev, name: 'fake-deploy', aws }, deps);
    expect(deleted).toStrictEqual({ name: 'fake-deploy', environment: 'dev', stackName, deleted: true, existed: true });
    expect(await describeKitchenStack(cfn, stackName)).toBeUndefined();
    const again = await deleteKitchen({ config, environment: dev, name: 'fake-deploy', aws }, deps);
    expect(again).toStrictEqual({
      name: 'fake-deploy',
      environment: 'dev',
      stackName,
      deleted: false,
      existed: false,
      note: `Kitchen fake-deploy does not exist (no stack ${stackName} in ${REGION}): nothing to delete`,
    });
    // THEN: one destroy of the Kitchen stack only; every synthesized assembly was disposed
    expect(toolkit.calls.filter((c) => c.action === 'destroy')).toStrictEqual([
      { action: 'destroy', stacks: only(stackName) },
    ]);
    expect(toolkit.disposed).toBe(toolkit.sources.length);
  });

  it('should not reuse an expiry that has passed', async () => {
    await putStack(cfn, 'acme-dev-kitchen-lapsed', {
      'kitchens:project': 'acme',
      'kitchens:environment': 'dev',
      'kitchens:kitchen': 'lapsed',
      'kitchens:owner': 'carol',
      'kitchens:expires': '2030-02-01T00:00:00Z',
    });
    const toolkit = new FakeToolkit(cfn);
    const result = await createKitchen(
      { config, environment: dev, name: 'lapsed', aws },
      { toolkit, cloudFormation: cfn, now: NOW },
    );
    // kitchens.defaultTtlHours (72) from NOW, rounded up to the hour
    expect(result).toMatchObject({ action: 'updated', owner: 'carol', expires: '2030-03-04T10:00:00Z' });
  });

  it('should keep the Kitchen when the confirmation is declined', async () => {
    await putStack(cfn, 'acme-dev-kitchen-keep-me', {
      'kitchens:project': 'acme',
      'kitchens:environment': 'dev',
      'kitchens:kitchen': 'keep-me',
    });
    const toolkit = new FakeToolkit(cfn);
    const asked: string[] = [];
    const result = await deleteKitchen(
      { config, environment: dev, name: 'keep-me', aws, confirm: async (s) => (asked.push(s), false) },
      { toolkit, cloudFormation: cfn, now: NOW },
    );
    expect(asked).toStrictEqual(['acme-dev-kitchen-keep-me']);
    expect(result).toMatchObject({ deleted: false, existed: true, note: 'kept Kitchen keep-me: not confirmed' });
    expect(toolkit.calls).toStrictEqual([]);
    expect(await describeKitchenStack(cfn, 'acme-dev-kitchen-keep-me')).toBeDefined();
  });

  it('should synthesize a dry run without any AWS call', async () => {
    const toolkit = new FakeToolkit(cfn);
    const noAws = { send: async () => Promise.reject(new Error('no AWS call expected in a dry run')) };
    const result = await createKitchen(
      { config, environment: dev, name: 'dry-one', owner: 'dave', aws, dryRun: true },
      { toolkit, cloudFormation: noAws, now: NOW },
    );
    expect(result).toMatchObject({
      action: 'synthesized',
      stackName: 'acme-dev-kitchen-dry-one',
      resourceCount: 3,
      owner: 'dave',
      parent: 'dev',
    });
    expect(toolkit.sources[0].props).toMatchObject({ lookups: false });
    expect(toolkit.calls).toStrictEqual([]);
  });

  it('fails with the toolkit message and exit code 3 when the deployment fails', async () => {
    const toolkit = new FakeToolkit(cfn);
    toolkit.failDeploy = new Error(
      'The stack named acme-dev-kitchen-broken failed creation: Resource handler returned message: "Access Denied"',
    );
    const attempt = createKitchen(
      { config, environment: dev, name: 'broken', owner: 'erin', aws },
      { toolkit, cloudFormation: cfn, now: NOW },
    );
    await expect(attempt).rejects.toThrow(
      new CliError(
        'deploying Kitchen broken (stack acme-dev-kitchen-broken) failed: The stack named acme-dev-kitchen-broken failed creation: Resource handler returned message: "Access Denied"',
      ),
    );
    await expect(attempt).rejects.toMatchObject({ exitCode: 3 });
    expect(toolkit.disposed).toBe(1);
  });

  it('fails when the app builds no Kitchen stack', async () => {
    const toolkit = new FakeToolkit(cfn);
    toolkit.kitchenInAssembly = false;
    const attempt = createKitchen(
      { config, environment: dev, name: 'missing', owner: 'erin', aws },
      { toolkit, cloudFormation: cfn, now: NOW },
    );
    await expect(attempt).rejects.toThrow(
      'buildApp(config) in this process built no Kitchen stack named acme-dev-kitchen-missing (it built: acme-dev); ' +
        'check that the app calls buildApp(config, options, app), which builds a Kitchen when the "kitchen" context is set',
    );
    await expect(attempt).rejects.toMatchObject({ exitCode: 2 });
  });

  it('fails before the toolkit when the Kitchen context is invalid', async () => {
    const toolkit = new FakeToolkit(cfn);
    const attempt = createKitchen(
      { config, environment: dev, name: 'too-long-ttl', owner: 'erin', expires: '2031-01-01T00:00:00Z', aws },
      { toolkit, cloudFormation: cfn, now: NOW },
    );
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow(
      'context kitchenExpires must be at most 336 hours from now (kitchens.maxTtlHours), got: "2031-01-01T00:00:00Z"',
    );
    expect(toolkit.sources).toStrictEqual([]);
  });
});

describe('createKitchen --from a parent Kitchen: the child never outlives its parent', () => {
  const cfn = motoCloudFormation(REGION);
  let config: KitchensConfig;
  let dev: EnvironmentConfig;
  const aws = { region: REGION };
  // NOW is 2030-03-01T10:00:00Z; the parent expires a day later, and an expired one a day earlier
  const PARENT_EXPIRES = '2030-03-02T10:00:00Z';

  beforeAll(async () => {
    config = exampleConfigNoCdk();
    dev = config.environments.find((e) => e.name === 'dev')!;
    await putStack(cfn, 'acme-dev-kitchen-cap-parent', {
      'kitchens:project': 'acme',
      'kitchens:environment': 'dev',
      'kitchens:kitchen': 'cap-parent',
      'kitchens:owner': 'alice',
      'kitchens:parent': 'dev',
      'kitchens:expires': PARENT_EXPIRES,
    });
    await putStack(cfn, 'acme-dev-kitchen-cap-lapsed', {
      'kitchens:project': 'acme',
      'kitchens:environment': 'dev',
      'kitchens:kitchen': 'cap-lapsed',
      'kitchens:expires': '2030-02-28T10:00:00Z',
    });
    await putStack(cfn, 'acme-dev-kitchen-cap-gone', {
      'kitchens:project': 'acme',
      'kitchens:environment': 'dev',
      'kitchens:kitchen': 'cap-gone',
      'kitchens:expires': PARENT_EXPIRES,
    });
    await deleteStack(cfn, 'acme-dev-kitchen-cap-gone');
  });

  const create = async (request: { name: string; parent?: string; expires?: string; dryRun?: boolean }) => {
    const toolkit = new FakeToolkit(cfn);
    const warnings: string[] = [];
    const noAws = { send: async () => Promise.reject(new Error('no AWS call expected in a dry run')) };
    const result = await createKitchen(
      { config, environment: dev, owner: 'bob', aws, ...request },
      {
        toolkit,
        cloudFormation: request.dryRun ? noAws : cfn,
        now: NOW,
        log: (level, message) => (level === 'warn' ? warnings.push(message) : undefined),
      },
    );
    return { result, warnings, toolkit };
  };

  it('should cut a later expiry to the parent’s, deploy the child with it and say so', async () => {
    const { result, warnings, toolkit } = await create({
      name: 'cap-child',
      parent: 'cap-parent',
      expires: '2030-03-04T10:00:00Z',
    });
    expect(result).toMatchObject({ action: 'created', parent: 'cap-parent', expires: PARENT_EXPIRES });
    expect(toolkit.sources[0].context).toMatchObject({ kitchenParent: 'cap-parent', kitchenExpires: PARENT_EXPIRES });
    expect(warnings).toStrictEqual([
      `Kitchen cap-child expires at ${PARENT_EXPIRES}, when its parent Kitchen cap-parent does, instead of ` +
        '2030-03-04T10:00:00Z: a child Kitchen never outlives its parent',
    ]);
    const deployed = await describeKitchenStack(cfn, 'acme-dev-kitchen-cap-child');
    expect(deployed!.Tags).toContainEqual({ Key: 'kitchens:expires', Value: PARENT_EXPIRES });
  });

  it('should cap the default time to live too, and on a re-run that keeps the recorded parent', async () => {
    // kitchens.defaultTtlHours (72) would be 2030-03-04T10:00:00Z
    const first = await create({ name: 'cap-default', parent: 'cap-parent' });
    expect(first.result.expires).toBe(PARENT_EXPIRES);
    expect(first.warnings).toHaveLength(1);
    const again = await create({ name: 'cap-default', expires: '2030-03-05T10:00:00Z' });
    expect(again.result).toMatchObject({ action: 'updated', parent: 'cap-parent', expires: PARENT_EXPIRES });
    expect(again.warnings[0]).toContain('instead of 2030-03-05T10:00:00Z');
  });

  it('should keep an expiry the parent outlives, without a warning', async () => {
    const { result, warnings } = await create({
      name: 'cap-short',
      parent: 'cap-parent',
      expires: '2030-03-01T20:00:00Z',
    });
    expect(result.expires).toBe('2030-03-01T20:00:00Z');
    expect(warnings).toStrictEqual([]);
  });

  it('should cap nothing under an environment', async () => {
    const { result, warnings } = await create({ name: 'cap-top', parent: 'dev', expires: '2030-03-04T10:00:00Z' });
    expect(result.expires).toBe('2030-03-04T10:00:00Z');
    expect(warnings).toStrictEqual([]);
  });

  it.each([
    [
      'cap-nowhere',
      'the parent Kitchen cap-nowhere does not exist in environment dev (no stack acme-dev-kitchen-cap-nowhere in ca-central-1): create it first, or give --from an environment',
    ],
    [
      'cap-gone',
      'the parent Kitchen cap-gone does not exist in environment dev (no stack acme-dev-kitchen-cap-gone in ca-central-1)',
    ],
    ['cap-lapsed', 'the parent Kitchen cap-lapsed expired at 2030-02-28T10:00:00Z'],
  ])('fails with exit code 1, naming the parent, before the toolkit when the parent is %s', async (parent, message) => {
    const toolkit = new FakeToolkit(cfn);
    const attempt = createKitchen(
      { config, environment: dev, name: 'cap-orphan', owner: 'bob', parent, aws },
      { toolkit, cloudFormation: cfn, now: NOW },
    );
    await expect(attempt).rejects.toThrow(message);
    await expect(attempt).rejects.toMatchObject({ exitCode: 1 });
    expect(toolkit.sources).toStrictEqual([]);
    expect(await describeKitchenStack(cfn, 'acme-dev-kitchen-cap-orphan')).toBeUndefined();
  });

  it('should warn on a dry run that the cap cannot be read, and use the options given', async () => {
    const { result, warnings } = await create({
      name: 'cap-dry',
      parent: 'cap-parent',
      expires: '2030-03-04T10:00:00Z',
      dryRun: true,
    });
    expect(result).toMatchObject({ action: 'synthesized', parent: 'cap-parent', expires: '2030-03-04T10:00:00Z' });
    expect(warnings).toStrictEqual([
      'dry run: the expiry of the parent Kitchen cap-parent is not read (no AWS call), so Kitchen cap-dry keeps the ' +
        "expiry 2030-03-04T10:00:00Z even if its parent expires sooner; a real create caps it at the parent's",
    ]);
  });
});

describe('KitchenIoHost', () => {
  it('should pass on messages above debug without colours, and answer questions with their default', async () => {
    const seen: string[] = [];
    const host = new KitchenIoHost((level, message) => seen.push(`${level}: ${message}`));
    const base = { time: new Date(), action: 'deploy' as const, data: undefined };
    await host.notify({
      ...base,
      level: 'info',
      message: '\u001b[32macme-dev-kitchen-x\u001b[39m | CREATE_IN_PROGRESS\n',
    });
    await host.notify({ ...base, level: 'debug', message: 'context: {}' });
    await host.notify({ ...base, level: 'warn', message: 'deprecated' });
    const answer = await host.requestResponse({
      ...base,
      level: 'info',
      code: 'CDK_TOOLKIT_I7010',
      message: 'Are you sure?',
      defaultResponse: true,
    });
    expect(answer).toBe(true);
    expect(seen).toStrictEqual([
      'info: acme-dev-kitchen-x | CREATE_IN_PROGRESS',
      'warn: deprecated',
      'info: Are you sure?',
    ]);
  });
});
