/**
 * `kitchen create --dry-run` synthesizes the Kitchen stack through the real CDK Toolkit Library, offline: no
 * credentials, no lookups, no AWS call (AWS_ENDPOINT_URL points at a closed port to prove it).
 */
import { loadConfig } from '../../lib/config/loader';
import { createKitchen } from '../../lib/kitchen/deploy';
import { BUNDLED_CONFIG, kitchen } from './support/cli';

let savedEndpoint: string | undefined;
beforeAll(() => {
  savedEndpoint = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
});
afterAll(() => {
  if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
  else process.env.AWS_ENDPOINT_URL = savedEndpoint;
});

describe('kitchen create --dry-run', () => {
  it('should synthesize the Kitchen stack offline and print its name and resource count', async () => {
    const run = await kitchen(['--json', 'create', 'profit-report', '--dry-run', '--owner', 'alice', '--ttl', '2d']);
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      name: 'profit-report',
      environment: 'dev',
      stackName: 'acme-dev-kitchen-profit-report',
      action: 'synthesized',
      owner: 'alice',
      parent: 'dev',
      outputs: {},
    });
    expect(result.context).toMatchObject({
      kitchen: 'profit-report',
      kitchenEnv: 'dev',
      kitchenOwner: 'alice',
      kitchenParent: 'dev',
    });
    // --ttl 2d: 48 hours from now, give or take the test's own run time
    expect(Date.parse(result.expires) - Date.now()).toBeGreaterThan(47.9 * 3600_000);
    expect(Date.parse(result.expires) - Date.now()).toBeLessThanOrEqual(48 * 3600_000);
    // A Kitchen stack stays under 150 resources (issue 4).
    expect(result.resourceCount).toBeGreaterThan(10);
    expect(result.resourceCount).toBeLessThan(150);
  });

  it('should print the stack name and resource count for people, progress on stderr', async () => {
    const run = await kitchen(['create', 'churn-model', '--dry-run', '--owner', 'bob']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^acme-dev-kitchen-churn-model: \d+ resources \(dry run: nothing deployed\)\n/);
    expect(run.stderr).toContain('Synthesizing Kitchen churn-model (stack acme-dev-kitchen-churn-model)');
  });
});

describe('kitchen create --from a parent Kitchen --dry-run', () => {
  it('should warn on stderr that the parent’s expiry cannot be read offline, and use the expiry given', async () => {
    const run = await kitchen([
      '--json',
      'create',
      'churn-child',
      '--from',
      'churn-model',
      '--dry-run',
      '--owner',
      'bob',
      '--ttl',
      '2d',
    ]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ action: 'synthesized', parent: 'churn-model' });
    expect(result.context).toMatchObject({ kitchenParent: 'churn-model', kitchenExpires: result.expires });
    expect(run.stderr).toContain(
      `warning: dry run: the expiry of the parent Kitchen churn-model is not read (no AWS call), so Kitchen churn-child keeps the expiry ${result.expires}`,
    );
  });
});

describe('kitchen create --from a parent Kitchen --dry-run, for people', () => {
  it('should say that a real create seeds the child from the parent', async () => {
    const run = await kitchen(['create', 'seed-child', '--from', 'churn-model', '--dry-run', '--owner', 'bob']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "dry run: a real create of a new Kitchen seeds seed-child with Kitchen churn-model's tables (--no-seed skips it)",
    );
    expect(run.stderr).toContain('warning: dry run: the expiry of the parent Kitchen churn-model is not read');
  });
});

describe('createKitchen dry run through the real Toolkit', () => {
  it('should build only the Kitchen stack, with the Kitchen context (cdk-nag off: the nag gate has its own test)', async () => {
    const config = loadConfig(BUNDLED_CONFIG);
    const dev = config.environments.find((e) => e.name === 'dev')!;
    const messages: string[] = [];
    const result = await createKitchen(
      {
        config,
        environment: dev,
        name: 'side-by-side',
        owner: 'carol',
        parent: 'dev',
        aws: { region: 'eu-west-1' },
        dryRun: true,
      },
      {
        nag: false,
        log: (level, message) => messages.push(`${level}: ${message}`),
        now: new Date('2030-03-01T10:00:00Z'),
      },
    );
    expect(result).toMatchObject({
      action: 'synthesized',
      stackName: 'acme-dev-kitchen-side-by-side',
      expires: '2030-03-04T10:00:00Z',
      context: {
        kitchen: 'side-by-side',
        kitchenEnv: 'dev',
        kitchenOwner: 'carol',
        kitchenParent: 'dev',
        kitchenExpires: '2030-03-04T10:00:00Z',
        kitchenSlackChannel: 'C07KITCHENS',
      },
    });
    expect(result.resourceCount).toBeGreaterThan(10);
    expect(result.resourceCount).toBeLessThan(150);
    expect(messages).toContain('info: Synthesizing Kitchen side-by-side (stack acme-dev-kitchen-side-by-side)');
    // Only the Kitchen stack was synthesized: no environment stack's warnings.
    expect(messages.filter((m) => /acme-production|acme-dev\//.test(m))).toStrictEqual([]);
  });
});
