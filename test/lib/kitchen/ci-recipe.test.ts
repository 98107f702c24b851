/**
 * The CI recipes (examples/ci), executed: `run` steps run in bash as GitHub Actions would run them (expressions
 * substituted, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, stdin not a terminal), against moto's CloudFormation
 * holding Kitchen stacks with the stack tags of synthesized Kitchens, and a stand-in `gh` on PATH that answers as
 * GitHub's API would (a pull request's state; a read-only token's HTTP 403).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { describeKitchenStack } from '../../../lib/kitchen/stacks';
import { exampleConfig } from '../../support/app';
import { synthesizeKitchens } from '../../support/kitchen-assembly';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { deleteStack, motoEndpoint, putStack } from './moto';
import { localOrdersKitchen } from '../../cli/support/local-orders';

const ROOT = path.join(__dirname, '..', '..', '..');
const BRANCH = 'feature/CI-Recipe_Check';
type Step = { id?: string; name?: string; run?: string; if?: string; env?: Record<string, string> };

/** Runs one workflow step in bash; `${{ ... }}` expressions are replaced from `values`. */
function runStep(step: Step, values: Record<string, string>, env: Record<string, string>) {
  const script = step.run!.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
    if (!(expression in values)) throw new Error(`no value for expression ${expression} in step ${step.name}`);
    return values[expression];
  });
  const stepEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(step.env ?? {})) {
    stepEnv[key] = value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => values[e]);
  }
  return spawnSync('bash', ['-e', '-c', script], {
    cwd: ROOT,
    env: { ...process.env, ...env, ...stepEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 300_000,
  });
}

/**
 * What aws-actions/configure-aws-credentials gives the job: credentials of a development-account role. moto keeps
 * each account's stacks apart, so the stack, the CLI and the toolkit all work in that account, as in CI.
 */
async function developmentCredentials(dev: { account: string; region: string }) {
  // STS AssumeRole as a plain query request (moto does not check signatures)
  const body = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: `arn:aws:iam::${dev.account}:role/cdk-hnb659fds-deploy-role-${dev.account}-${dev.region}`,
    RoleSessionName: 'ci-recipe-test',
  });
  const response = await fetch(`${motoEndpoint()}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${dev.region}/sts/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body,
  });
  const xml = await response.text();
  const field = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1] ?? '';
  const Credentials = {
    AccessKeyId: field('AccessKeyId'),
    SecretAccessKey: field('SecretAccessKey'),
    SessionToken: field('SessionToken'),
  };
  expect(Credentials.AccessKeyId).not.toBe('');
  return {
    accessKeyId: Credentials!.AccessKeyId!,
    secretAccessKey: Credentials!.SecretAccessKey!,
    sessionToken: Credentials!.SessionToken!,
  };
}

describe('the Kitchen-per-pull-request workflow, executed for a closed pull request', () => {
  const workflow = parse(fs.readFileSync(path.join(ROOT, 'examples', 'ci', 'kitchen-per-pr.yml'), 'utf8'));
  const steps: Step[] = workflow.jobs.delete.steps;
  const config = exampleConfig();
  const dev = config.environments.find((e) => e.name === 'dev')!;
  it('should name the Kitchen from the branch, then delete it without asking', async () => {
    const output = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-ci-')), 'github-output');
    fs.writeFileSync(output, '');
    const credentials = await developmentCredentials(dev);
    const env = {
      GITHUB_OUTPUT: output,
      AWS_ENDPOINT_URL: motoEndpoint(),
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
    };
    // the step that names the Kitchen
    const named = runStep(
      steps.find((s) => s.run?.includes('name --from-branch'))!,
      { 'github.head_ref': BRANCH },
      env,
    );
    expect(named.stderr).toBe('');
    expect(named.status).toBe(0);
    const kitchen = /^kitchen=(.+)$/m.exec(fs.readFileSync(output, 'utf8'))![1];
    expect(kitchen).toBe('ci-recipe-check');

    // GIVEN the Kitchen's stack, deployed with the stack tags of the synthesized Kitchen
    const cfn = new CloudFormationClient({ region: dev.region, endpoint: motoEndpoint(), credentials });
    const [synthesized] = synthesizeKitchens(config, [kitchen]);
    await putStack(cfn, synthesized.stackName, Object.fromEntries(synthesized.tags.map((t) => [t.Key, t.Value])));
    expect(await describeKitchenStack(cfn, synthesized.stackName)).toBeDefined();

    // WHEN the delete step runs on the closed pull request (not a terminal: nobody can confirm)
    const remove = steps.find((s) => s.name === 'Delete the Kitchen')!;
    expect(workflow.jobs.delete.if).toContain("github.event_name == 'pull_request_target'");
    const deleted = runStep(remove, { 'steps.name.outputs.kitchen': kitchen }, env);
    // THEN it succeeds and the stack is gone
    expect({
      status: deleted.status,
      stderr: deleted.stderr.split('\n').filter((l) => /error/i.test(l)),
    }).toStrictEqual({
      status: 0,
      stderr: [],
    });
    expect(deleted.stdout).toContain(`Kitchen ${kitchen} deleted (stack ${synthesized.stackName})`);
    expect(await describeKitchenStack(cfn, synthesized.stackName)).toBeUndefined();
  }, 600_000); // two CLI processes (ts-node start-up, a synth); slow under a loaded machine
});

/** A stand-in `gh` on PATH: `script` is the body of a bash function given the arguments; calls are logged. */
function fakeGh(dir: string, script: string): { path: string; calls: () => string[] } {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const log = path.join(dir, 'gh-calls');
  fs.writeFileSync(log, '');
  fs.writeFileSync(path.join(bin, 'gh'), `#!/usr/bin/env bash\necho "$*" >> ${JSON.stringify(log)}\n${script}\n`, {
    mode: 0o755,
  });
  return {
    path: `${bin}:${process.env.PATH}`,
    calls: () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean),
  };
}

describe('the Kitchen sweep, executed: Kitchens of pull requests that are no longer open are deleted', () => {
  const workflow = parse(fs.readFileSync(path.join(ROOT, 'examples', 'ci', 'kitchen-per-pr.yml'), 'utf8'));
  const sweep: Step = (workflow.jobs.sweep.steps as Step[]).find(
    (s) => s.name === 'Delete the Kitchens of closed pull requests',
  )!;
  const config = exampleConfig();
  const dev = config.environments.find((e) => e.name === 'dev')!;

  it('should delete the Kitchen of a closed pull request (closed with merge conflicts: no workflow saw it), and keep the rest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-sweep-'));
    const credentials = await developmentCredentials(dev);
    const cfn = new CloudFormationClient({ region: dev.region, endpoint: motoEndpoint(), credentials });
    // GIVEN three Kitchens: of pull request 7 (closed), of pull request 8 (open), and a developer's own
    const owners: Record<string, string> = {
      'sweep-closed': 'pull-request-7',
      'sweep-open': 'pull-request-8',
      'sweep-own': 'alice',
    };
    const names = Object.keys(owners);
    const synthesized = synthesizeKitchens(config, names);
    for (const [i, k] of synthesized.entries()) {
      const tags = Object.fromEntries(k.tags.map((t) => [t.Key, t.Value]));
      await putStack(cfn, k.stackName, { ...tags, 'kitchens:owner': owners[names[i]] });
    }
    const gh = fakeGh(
      dir,
      `if [ "$1 $2" = "pr view" ]; then case "$3" in 7) echo CLOSED;; 8) echo OPEN;; *) exit 1;; esac; else exit 1; fi`,
    );
    // WHEN the sweep step runs
    const result = runStep(
      sweep,
      { 'github.token': 'token', 'github.repository': 'acme/data' },
      {
        PATH: gh.path,
        AWS_ENDPOINT_URL: motoEndpoint(),
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_SESSION_TOKEN: credentials.sessionToken,
      },
    );
    fs.rmSync(path.join(ROOT, 'kitchens.json'), { force: true }); // the step's working file, in the workspace
    // THEN only the closed pull request's Kitchen is gone; the developer's own was never looked up
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toStrictEqual({
      status: 0,
      stderr: '',
    });
    expect(result.stdout).toContain('Kitchen sweep-closed: pull request #7 is CLOSED; deleting it');
    expect(result.stdout).toContain('Kitchen sweep-open: pull request #8 is open; kept');
    expect(gh.calls().sort()).toStrictEqual([
      'pr view 7 --repo acme/data --json state --jq .state',
      'pr view 8 --repo acme/data --json state --jq .state',
    ]);
    const stack = (name: string) => synthesized[names.indexOf(name)].stackName;
    expect(await describeKitchenStack(cfn, stack('sweep-closed'))).toBeUndefined();
    expect(await describeKitchenStack(cfn, stack('sweep-open'))).toBeDefined();
    expect(await describeKitchenStack(cfn, stack('sweep-own'))).toBeDefined();
    for (const name of ['sweep-open', 'sweep-own']) await deleteStack(cfn, stack(name));
    cfn.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 600_000);
});

describe('the CI recipe comment, executed', () => {
  const workflow = parse(fs.readFileSync(path.join(ROOT, 'examples', 'ci', 'ci.yml'), 'utf8'));
  const build: Step[] = workflow.jobs.build.steps;
  const conclusions = build.find((s) => s.name === 'What the checks concluded')!;
  const comment: Step = (workflow.jobs.comment.steps as Step[]).find((s) => s.run !== undefined)!;

  /** Runs a step in `dir` (the job's workspace). */
  const inDir = (dir: string, step: Step, values: Record<string, string>, env: Record<string, string>) => {
    const script = step.run!.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => values[e]);
    const stepEnv = Object.fromEntries(
      Object.entries(step.env ?? {}).map(([k, v]) => [
        k,
        v.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => values[e] ?? ''),
      ]),
    );
    return spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd: dir,
      env: { ...process.env, ...stepEnv, ...env },
      encoding: 'utf8',
    });
  };

  it('should tell what every check concluded above the report, also when tests and the gate failed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-conclusions-'));
    fs.writeFileSync(path.join(dir, 'promotion-comment.md'), '# Promotion report: production\n');
    const summary = path.join(dir, 'summary.md');
    const outcomes: Record<string, string> = {
      'steps.install.outcome': 'success',
      'steps.typecheck.outcome': 'success',
      'steps.lint.outcome': 'success',
      'steps.format.outcome': 'success',
      'steps.tests.outcome': 'failure',
      'steps.synth.outcome': 'success',
      'steps.cfnlint.outcome': 'success',
      'steps.gate.outcome': 'failure',
      'steps.kitchen-gate.outcome': 'success',
      'steps.report.outcome': 'success',
      'github.event.pull_request.number': '42',
    };
    const result = inDir(dir, conclusions, outcomes, { GITHUB_STEP_SUMMARY: summary });
    expect(result.stderr).toBe('');
    const body = fs.readFileSync(path.join(dir, 'comment.md'), 'utf8');
    expect(body).toContain('| tests | failure |\n');
    expect(body).toContain('| alignment gate | failure |\n');
    expect(body).toContain('| promotion report | success |\n\n# Promotion report: production\n');
    expect(fs.readFileSync(path.join(dir, 'pull-request-number.txt'), 'utf8')).toBe('42\n');
    expect(fs.readFileSync(summary, 'utf8')).toBe(body);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    [
      'updates its earlier comment',
      'echo 99',
      0,
      'api --method PATCH repos/acme/data/issues/comments/99 -F body=@body.md',
    ],
    ['posts a first comment', 'echo ""', 0, 'api --method POST repos/acme/data/issues/42/comments -F body=@body.md'],
    [
      'degrades to a notice on a read-only token (Dependabot)',
      'echo "gh: Resource not accessible by integration (HTTP 403)" >&2; exit 1',
      0,
      undefined,
    ],
    ['fails on any other error', 'echo "gh: Server Error (HTTP 500)" >&2; exit 1', 1, undefined],
  ])('%s', (_what, listing, status, call) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-comment-'));
    fs.writeFileSync(path.join(dir, 'comment.md'), '## Checks\n');
    fs.writeFileSync(path.join(dir, 'pull-request-number.txt'), '42\n');
    const gh = fakeGh(dir, `if [ "$1 $2" = "api repos/acme/data/issues/42/comments" ]; then ${listing}; fi`);
    const result = inDir(
      dir,
      comment,
      { 'github.token': 'token', 'github.repository': 'acme/data' },
      { PATH: gh.path },
    );
    expect(result.status).toBe(status);
    if (call) expect(gh.calls()).toContain(call);
    if (status === 0 && !call) expect(result.stdout).toContain('::notice::cannot comment with a read-only token');
    if (status === 1) expect(result.stderr).toContain('HTTP 500');
    if (call)
      expect(fs.readFileSync(path.join(dir, 'body.md'), 'utf8')).toBe(
        '<!-- cdk-kitchens:promotion-report -->\n## Checks\n',
      );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('the Kitchen-per-pull-request workflow, executed for a pull request into another Kitchen’s branch', () => {
  const workflow = parse(fs.readFileSync(path.join(ROOT, 'examples', 'ci', 'kitchen-per-pr.yml'), 'utf8'));
  const steps: Step[] = workflow.jobs.create.steps;
  const config = exampleConfig();
  const dev = config.environments.find((e) => e.name === 'dev')!;
  const parentStep = steps.find((s) => s.name === 'Parent Kitchen of the base branch')!;
  const createStep = steps.find((s) => s.name === 'Create or update the Kitchen')!;
  const report = steps.find((s) => s.name === 'Report against the parent Kitchen')!;
  const workFiles = [
    'parent-status.json',
    'parent-status.err',
    'against-parent.md',
    'against-parent-comment.md',
    'pull-request-number.txt',
  ];

  it('should find the parent Kitchen of the base branch, create the child under it (dry run) and report against it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-against-'));
    const output = path.join(dir, 'github-output');
    const summary = path.join(dir, 'summary.md');
    const credentials = await developmentCredentials(dev);
    const env = {
      // the SDK's notice that it will need a newer Node.js than this machine's is not the step's output
      NODE_NO_WARNINGS: '1',
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      AWS_ENDPOINT_URL: motoEndpoint(),
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
    };
    const cfn = new CloudFormationClient({ region: dev.region, endpoint: motoEndpoint(), credentials });
    // GIVEN the integration branch's Kitchen, deployed with the stack tags of a synthesized Kitchen
    const [parent] = synthesizeKitchens(config, ['integration']);
    await putStack(cfn, parent.stackName, Object.fromEntries(parent.tags.map((t) => [t.Key, t.Value])));
    try {
      // a pull request into main: main belongs to no Kitchen
      fs.writeFileSync(output, '');
      const intoMain = runStep(parentStep, { 'github.base_ref': 'main' }, env);
      expect({ status: intoMain.status, stderr: intoMain.stderr }).toStrictEqual({ status: 0, stderr: '' });
      expect(fs.readFileSync(output, 'utf8')).toBe('kitchen=\n');
      expect(intoMain.stdout).toMatch(/^Base branch main belongs to no Kitchen \(no Kitchen k-main-[0-9a-f]+\)$/m);

      // a pull request into integration: its Kitchen is live
      fs.writeFileSync(output, '');
      const intoIntegration = runStep(parentStep, { 'github.base_ref': 'integration' }, env);
      expect({ status: intoIntegration.status, stderr: intoIntegration.stderr }).toStrictEqual({
        status: 0,
        stderr: '',
      });
      expect(fs.readFileSync(output, 'utf8')).toBe('kitchen=integration\n');

      // the child is created under it (a dry run: no emulator here deploys a Kitchen stack)
      const values = {
        'steps.name.outputs.kitchen': 'ci-recipe-check',
        'steps.parent.outputs.kitchen': 'integration',
        'github.event.pull_request.number': '42',
      };
      const dryRun = {
        ...createStep,
        run: createStep.run!.replace('kitchen.js create ', 'kitchen.js create --dry-run '),
      };
      const created = runStep(dryRun, values, env);
      expect({ status: created.status, stderr: created.status === 0 ? '' : created.stderr }).toStrictEqual({
        status: 0,
        stderr: '',
      });
      expect(created.stdout).toMatch(
        /^acme-dev-kitchen-ci-recipe-check: \d+ resources \(dry run: nothing deployed\)$/m,
      );
      expect(created.stdout).toMatch(/Parent\s+integration/);

      // and the report: the child synthesized from this checkout against the parent as deployed
      const reported = runStep(report, values, env);
      expect({ status: reported.status, stderr: reported.status === 0 ? '' : reported.stderr }).toStrictEqual({
        status: 0,
        stderr: '',
      });
      const comment = fs.readFileSync(path.join(ROOT, 'against-parent-comment.md'), 'utf8');
      expect(comment).toContain('# Kitchen `ci-recipe-check` against its parent `integration`');
      expect(comment).toContain(`differs from its parent integration (deployed \`${parent.stackName}\`)`);
      expect(fs.readFileSync(path.join(ROOT, 'pull-request-number.txt'), 'utf8')).toBe('42\n');
      expect(fs.readFileSync(summary, 'utf8')).toBe(comment);
    } finally {
      for (const f of workFiles) fs.rmSync(path.join(ROOT, f), { force: true });
      await deleteStack(cfn, parent.stackName);
      cfn.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});

describe('the staging Kitchen workflow, executed for a push to the integration branch', () => {
  const workflow = parse(fs.readFileSync(path.join(ROOT, 'examples', 'ci', 'kitchen-staging.yml'), 'utf8'));
  const steps: Step[] = workflow.jobs.deploy.steps;
  const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'orders');

  it('should name the Kitchen from the branch, create it with a renewed 14-day expiry (dry run) and run every pipeline (locally)', async () => {
    expect(workflow.on.push).toStrictEqual({ branches: ['integration'] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-staging-'));
    const output = path.join(dir, 'github-output');
    fs.writeFileSync(output, '');
    const env = { NODE_NO_WARNINGS: '1', GITHUB_OUTPUT: output, PIPELINES: String(workflow.env.PIPELINES) };
    const named = runStep(
      steps.find((s) => s.name === 'Kitchen name from the branch')!,
      { 'github.ref_name': 'ci-staging' },
      env,
    );
    expect({ status: named.status, stderr: named.stderr }).toStrictEqual({ status: 0, stderr: '' });
    const kitchen = /^kitchen=(.+)$/m.exec(fs.readFileSync(output, 'utf8'))![1];
    expect(kitchen).toBe('ci-staging');
    const values = { 'steps.name.outputs.kitchen': kitchen };

    // the deploy, as a dry run (no emulator here deploys a Kitchen stack): the expiry is 14 days from now
    const create = steps.find((s) => s.name === 'Create or update the staging Kitchen')!;
    expect(create.run).toBe('node dist/bin/kitchen.js create "$KITCHEN" --ttl 14d --owner staging');
    const before = Date.now();
    const created = runStep({ ...create, run: create.run!.replace(' create ', ' create --dry-run ') }, values, env);
    expect({ status: created.status, stderr: created.status === 0 ? '' : created.stderr }).toStrictEqual({
      status: 0,
      stderr: '',
    });
    expect(created.stdout).toMatch(/^acme-dev-kitchen-ci-staging: \d+ resources \(dry run: nothing deployed\)$/m);
    const expires = Date.parse(/Expires\s+(\S+)/.exec(created.stdout)![1]);
    const fortnight = 14 * 24 * 3600_000;
    // within an hour of 14 days from now
    expect(expires - before).toBeGreaterThan(fortnight - 3600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(fortnight + 3600_000);

    // the pipelines' tests, run locally (PostgreSQL for the warehouse, a directory for S3) instead of --wait on AWS
    const orders = await localOrdersKitchen(kitchen);
    orders.land();
    const local = [
      '--local',
      `--pg-url '${orders.pgUrl}'`,
      `--data-lake '${orders.lake}'`,
      `--app-command 'ingest=node ${path.join(FIXTURES, 'ingest.js')}'`,
      `--app-command 'transform=node ${path.join(FIXTURES, 'transform.js')}'`,
    ].join(' ');
    const runTests = steps.find((s) => s.name === 'Run the pipelines and their tests')!;
    expect(runTests.run).toContain('run "$pipeline" --kitchen "$KITCHEN" --wait');
    const locally = { ...runTests, run: runTests.run!.replace('--wait', local) };
    try {
      const ran = runStep(locally, values, env);
      expect({ status: ran.status, stderr: ran.status === 0 ? '' : ran.stderr }).toStrictEqual({
        status: 0,
        stderr: '',
      });
      expect(ran.stdout).toContain('pipeline orders succeeded: 7 tests, 0 failed, 0 errored, 0 alerts');
      expect(ran.stdout).toContain('every pipeline succeeded in Kitchen ci-staging: orders');

      // a pipeline that fails does not stop the others; the step fails at the end, naming it
      const failing = runStep(locally, values, { ...env, PIPELINES: 'invoices orders' });
      expect(failing.status).toBe(1);
      expect(failing.stdout).toContain('pipeline orders succeeded');
      expect(failing.stdout).toContain('::error::pipelines that did not succeed in Kitchen ci-staging: invoices');
    } finally {
      orders.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});

describe('the comment with the comparison against the parent Kitchen, executed', () => {
  const workflow = parse(fs.readFileSync(path.join(ROOT, 'examples', 'ci', 'kitchen-per-pr.yml'), 'utf8'));
  const comment: Step = (workflow.jobs['against-parent'].steps as Step[]).find((s) => s.run !== undefined)!;

  it.each([
    [
      'updates its earlier comment',
      'echo 77',
      0,
      'api --method PATCH repos/acme/data/issues/comments/77 -F body=@body.md',
    ],
    ['posts a first comment', 'echo ""', 0, 'api --method POST repos/acme/data/issues/42/comments -F body=@body.md'],
    [
      'degrades to a notice on a read-only token',
      'echo "gh: Resource not accessible (HTTP 403)" >&2; exit 1',
      0,
      undefined,
    ],
    ['fails on any other error', 'echo "gh: Server Error (HTTP 500)" >&2; exit 1', 1, undefined],
  ])('%s', (_what, listing, status, call) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-against-comment-'));
    fs.writeFileSync(path.join(dir, 'against-parent-comment.md'), '# Kitchen `f` against its parent `i`\n');
    fs.writeFileSync(path.join(dir, 'pull-request-number.txt'), '42\n');
    const gh = fakeGh(dir, `if [ "$1 $2" = "api repos/acme/data/issues/42/comments" ]; then ${listing}; fi`);
    const script = comment.run!;
    const result = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd: dir,
      env: { ...process.env, PATH: gh.path, GH_TOKEN: 'token', REPO: 'acme/data' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(status);
    if (call) {
      expect(gh.calls()).toContain(call);
      expect(fs.readFileSync(path.join(dir, 'body.md'), 'utf8')).toBe(
        '<!-- cdk-kitchens:against-parent -->\n# Kitchen `f` against its parent `i`\n',
      );
    }
    if (status === 0 && !call) expect(result.stdout).toContain('::notice::cannot comment with a read-only token');
    if (status === 1) expect(result.stderr).toContain('HTTP 500');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
