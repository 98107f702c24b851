import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

const CI = path.join(__dirname, '..', '..', '..', 'examples', 'ci');
const load = (file: string) => parse(fs.readFileSync(path.join(CI, file), 'utf8'), { uniqueKeys: true });
type Step = { name?: string; run?: string; uses?: string; if?: string };
const runs = (steps: Step[]) => steps.map((s) => s.run ?? '').join('\n');

describe('the CI recipe', () => {
  const workflow = load('ci.yml');
  type Job = { if?: string; needs?: string; permissions?: Record<string, string>; steps: Step[] };
  const jobs = workflow.jobs as Record<string, Job>;

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

  it('should give jobs that run pull-request code read access only', () => {
    expect(workflow.permissions).toStrictEqual({ contents: 'read' });
    expect(jobs.build.permissions).toStrictEqual({ contents: 'read' });
    // every job states its permissions; only the commenter may write, only the deployed job may ask for a token
    for (const [name, job] of Object.entries(jobs)) {
      const writes = Object.entries(job.permissions ?? {}).filter(([, level]) => level === 'write');
      const allowed: Record<string, string[]> = { comment: ['pull-requests'], deployed: ['id-token'] };
      expect([name, writes.map(([scope]) => scope)]).toStrictEqual([name, allowed[name] ?? []]);
    }
  });

  it('should comment from a job that runs no pull-request code, skips forks and updates one comment', () => {
    const job = jobs.comment;
    expect(job.needs).toBe('build');
    expect(job.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(job.steps.some((s) => s.uses?.startsWith('actions/checkout'))).toBe(false);
    const script = runs(job.steps);
    expect(script).not.toMatch(/npm|npx|ts-node/);
    expect(script).toContain("marker='<!-- cdk-kitchens:promotion-report -->'");
    expect(script).toContain('gh api --method PATCH "repos/$REPO/issues/comments/$existing"');
  });

  it('should run every script step under bash with pipefail', () => {
    // GitHub runs an explicit `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`
    expect(workflow.defaults).toStrictEqual({ run: { shell: 'bash' } });
    for (const job of Object.values(jobs)) {
      for (const step of job.steps) expect((step as { shell?: string }).shell ?? 'bash').toBe('bash');
    }
  });

  it('should report the promotion against the base branch on pull requests to main, as a comment and an artifact', () => {
    const script = runs(jobs.build.steps);
    expect(script).toContain(
      'promote-report --base "origin/${{ github.base_ref }}" \\\n  --out promotion-report.md --comment promotion-comment.md',
    );
    expect(script).not.toContain('cdk diff');
    const report = jobs.build.steps.find((s) => s.run?.includes('promote-report'));
    expect(report?.if).toBe("github.event_name == 'pull_request' && github.base_ref == 'main'");
  });

  it('should read the deployed production stack only for reviewed code on main', () => {
    expect(jobs.deployed.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    expect(runs(jobs.deployed.steps)).toContain('promote-report --base deployed');
  });
});

describe('the Kitchen-per-pull-request recipe', () => {
  const workflow = load('kitchen-per-pr.yml');
  const steps: Step[] = workflow.jobs.kitchen.steps;

  it('should react to pull requests opening, updating and closing', () => {
    expect(workflow.on.pull_request.types).toStrictEqual(['opened', 'reopened', 'synchronize', 'closed']);
  });

  it('should name the Kitchen from the branch, create it while open and delete it on close', () => {
    const named = steps.find((s) => s.run?.includes('name --from-branch "$HEAD_REF"'));
    expect(named).toBeDefined();
    const create = steps.find((s) => s.run?.includes('dist/bin/kitchen.js create "${{ steps.name.outputs.kitchen }}"'));
    const remove = steps.find((s) => s.run?.includes('dist/bin/kitchen.js delete "${{ steps.name.outputs.kitchen }}"'));
    expect(create?.if).toBe("github.event.action != 'closed'");
    expect(remove?.if).toBe("github.event.action == 'closed'");
  });
});
