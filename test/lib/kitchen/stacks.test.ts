/**
 * `kitchen list` and `kitchen status` against moto's CloudFormation: the Kitchen stacks are created through the SDK
 * with the stack tags of synthesized Kitchens (read from their cloud assembly, as `cdk deploy` passes them), and read
 * back through the CLI with AWS_ENDPOINT_URL pointing at moto. A region of its own keeps this file's stacks apart
 * from other tests'.
 */
import { formatAge, listKitchens } from '../../../lib/kitchen/stacks';
import { exampleConfigNoCdk } from './config';
import { kitchen } from '../../cli/support/cli';
import { deleteStack, kitchenTags, motoCloudFormation, motoEndpoint, putStack } from './moto';
import { exampleConfig } from '../../support/app';
import { synthesizeKitchens, type SynthesizedKitchen } from '../../support/kitchen-assembly';

const REGION = 'ap-southeast-2';
const cfn = motoCloudFormation(REGION);
// within kitchens.maxTtlHours of now, on the hour
const FUTURE = new Date(Math.ceil(Date.now() / 3600_000 + 240) * 3600_000).toISOString().replace('.000Z', 'Z');
const PAST = '2020-01-01T00:00:00Z';

let savedEndpoint: string | undefined;
beforeAll(async () => {
  savedEndpoint = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = motoEndpoint();
  const config = exampleConfig();
  const tagsOf = (k: SynthesizedKitchen) => Object.fromEntries(k.tags.map((t) => [t.Key, t.Value]));
  const [profitReport] = synthesizeKitchens(config, ['profit-report'], {
    kitchenOwner: 'alice',
    kitchenExpires: FUTURE,
  });
  const [churn] = synthesizeKitchens(config, ['churn'], {
    kitchenOwner: 'bob',
    kitchenParent: 'profit-report',
    kitchenExpires: PAST,
  });
  await putStack(cfn, profitReport.stackName, tagsOf(profitReport), {
    SchemaName: 'k_profit_report',
    StaffRoleArn: 'arn:aws:iam::222222222222:role/acme-dev-profit-report-staff',
  });
  await putStack(cfn, churn.stackName, tagsOf(churn));
  // Not Kitchens of acme/dev: the environment stack, another project, another environment.
  await putStack(cfn, 'acme-dev', { 'kitchens:project': 'acme', 'kitchens:environment': 'dev' });
  await putStack(cfn, 'other-dev-kitchen-churn', { ...kitchenTags('churn'), 'kitchens:project': 'other' });
  await putStack(cfn, 'acme-qa-kitchen-churn', { ...kitchenTags('churn'), 'kitchens:environment': 'qa' });
  // A deleted Kitchen is not listed.
  await putStack(cfn, 'acme-dev-kitchen-gone', kitchenTags('gone'));
  await deleteStack(cfn, 'acme-dev-kitchen-gone');
});
afterAll(() => {
  if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
  else process.env.AWS_ENDPOINT_URL = savedEndpoint;
});

describe('kitchen list', () => {
  it('should list only the Kitchens of the project and environment, with owner, parent, expiry and status', async () => {
    const run = await kitchen(['--json', 'list', '--region', REGION]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.environment).toBe('dev');
    expect(result.kitchens.map((k: { name: string }) => k.name)).toStrictEqual(['churn', 'profit-report']);
    expect(result.kitchens[1]).toMatchObject({
      name: 'profit-report',
      environment: 'dev',
      stackName: 'acme-dev-kitchen-profit-report',
      owner: 'alice',
      parent: 'dev',
      expires: FUTURE,
      expired: false,
      status: 'CREATE_COMPLETE',
    });
    expect(result.kitchens[0]).toMatchObject({
      name: 'churn',
      owner: 'bob',
      parent: 'profit-report',
      expires: PAST,
      expired: true,
    });
    expect(result.kitchens[1].ageSeconds).toBeGreaterThanOrEqual(0);
    expect(result.kitchens[1].ageSeconds).toBeLessThan(600);
  });

  it('should print a table for people, marking expired Kitchens', async () => {
    const run = await kitchen(['list', '--region', REGION]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+OWNER\s+PARENT\s+AGE\s+EXPIRES\s+STATUS$/);
    expect(lines[1]).toMatch(
      /^churn\s+bob\s+profit-report\s+\d+[sm]\s+2020-01-01T00:00:00Z \(expired\)\s+CREATE_COMPLETE$/,
    );
    expect(lines[2]).toMatch(new RegExp(`^profit-report\\s+alice\\s+dev\\s+\\d+[sm]\\s+${FUTURE}\\s+CREATE_COMPLETE$`));
    expect(lines).toHaveLength(3);
  });

  it('should draw the Kitchen tree from the parent tags of the deployed stacks with --tree', async () => {
    const run = await kitchen(['list', '--tree', '--region', REGION]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        'dev',
        `└── profit-report  owner alice  expires ${FUTURE}  CREATE_COMPLETE`,
        '    └── churn  owner bob  expired 2020-01-01T00:00:00Z  CREATE_COMPLETE',
        '',
      ].join('\n'),
    );
  });

  it('should say so when there are no Kitchens', async () => {
    const run = await kitchen(['list', '--region', 'sa-east-1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('no Kitchens in environment dev\n');
  });

  it('should compute the expired flag and age against the given clock', async () => {
    const config = exampleConfigNoCdk();
    const kitchens = await listKitchens({
      config,
      environment: config.environments.find((e) => e.name === 'dev'),
      cloudFormation: cfn,
      now: new Date('2019-06-01T00:00:00Z'),
    });
    expect(kitchens.map((k) => [k.name, k.expired])).toStrictEqual([
      ['churn', false],
      ['profit-report', false],
    ]);
  });

  it('fails with exit code 3 when CloudFormation cannot be reached', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    try {
      const run = await kitchen(['list', '--region', REGION]);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/^error: could not list the Kitchens of environment dev \(ap-southeast-2\): /);
    } finally {
      process.env.AWS_ENDPOINT_URL = motoEndpoint();
    }
  });
});

describe('kitchen delete of a Kitchen with children', () => {
  // delete is pinned to the environment's region: these two stacks live there, under names no other test uses.
  const home = motoCloudFormation('eu-west-1');
  beforeAll(async () => {
    await putStack(home, 'acme-dev-kitchen-tree-parent', kitchenTags('tree-parent', { 'kitchens:parent': 'dev' }));
    await putStack(
      home,
      'acme-dev-kitchen-tree-child',
      kitchenTags('tree-child', { 'kitchens:parent': 'tree-parent' }),
    );
  });
  afterAll(async () => {
    await deleteStack(home, 'acme-dev-kitchen-tree-child');
    await deleteStack(home, 'acme-dev-kitchen-tree-parent');
  });

  it('fails with exit 1 without --cascade, naming the live child, and deletes nothing', async () => {
    const run = await kitchen(['delete', 'tree-parent', '--yes']);
    expect(run.stderr).toBe(
      'error: Kitchen tree-parent has live child Kitchens: tree-child. Delete them first, or give --cascade to ' +
        'delete them (children before parents) and then tree-parent\n',
    );
    expect(run.code).toBe(1);
    const listed = JSON.parse((await kitchen(['--json', 'list'])).stdout);
    expect(listed.kitchens.map((k: { name: string }) => k.name)).toEqual(
      expect.arrayContaining(['tree-child', 'tree-parent']),
    );
  });
});

describe('kitchen status', () => {
  it('should show the stack status, tags and outputs', async () => {
    const run = await kitchen(['--json', 'status', 'profit-report', '--region', REGION]);
    expect(run.code).toBe(0);
    const status = JSON.parse(run.stdout);
    expect(status).toMatchObject({
      name: 'profit-report',
      stackName: 'acme-dev-kitchen-profit-report',
      status: 'CREATE_COMPLETE',
      owner: 'alice',
      parent: 'dev',
      expires: FUTURE,
      expired: false,
      outputs: {
        SchemaName: 'k_profit_report',
        StaffRoleArn: 'arn:aws:iam::222222222222:role/acme-dev-profit-report-staff',
      },
    });
    expect(status.stackId).toMatch(
      /^arn:aws:cloudformation:ap-southeast-2:\d{12}:stack\/acme-dev-kitchen-profit-report\//,
    );
  });

  it('should print the details for people', async () => {
    const run = await kitchen(['status', 'churn', '--region', REGION]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Stack        acme-dev-kitchen-churn\n');
    expect(run.stdout).toContain('Expires      2020-01-01T00:00:00Z (expired)\n');
    expect(run.stdout).toContain('Parent       profit-report\n');
  });

  it('fails with exit code 1 when the Kitchen does not exist', async () => {
    const run = await kitchen(['status', 'gone', '--region', REGION]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: Kitchen gone does not exist in environment dev (no stack acme-dev-kitchen-gone in ap-southeast-2)\n',
    );
  });
});

describe('formatAge', () => {
  it('should render seconds, minutes, hours and days', () => {
    expect([undefined, 45, 720, 5 * 3600 + 180, 2 * 86400 + 4 * 3600].map(formatAge)).toStrictEqual([
      '-',
      '45s',
      '12m',
      '5h 3m',
      '2d 4h',
    ]);
  });
});
