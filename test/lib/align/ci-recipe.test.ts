import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

const CI = path.join(__dirname, '..', '..', '..', 'examples', 'ci');
const load = (file: string) => parse(fs.readFileSync(path.join(CI, file), 'utf8'), { uniqueKeys: true });
type Step = { name?: string; run?: string; uses?: string; if?: string };
const runs = (steps: Step[]) => steps.map((s) => s.run ?? '').join('\n');

describe('the CI recipe', () => {
  const workflow = load('ci.yml');

  it('should run every gate in order: install, type-check, tests, validated synth, cfn-lint, align', () => {
    const steps: Step[] = workflow.jobs.build.steps;
    const script = runs(steps);
    const order = [
      'npm ci',
      'npm run typecheck',
      'npm test',
      'CDK_VALIDATION=true npx cdk synth',
      'cfn-lint cdk.out/*.template.json',
      'bin/kitchen.ts align',
    ];
    const positions = order.map((needle) => script.indexOf(needle));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toStrictEqual(positions);
  });

  it('should diff and report the promotion target on pull requests to main', () => {
    const job = workflow.jobs.promotion;
    expect(job.if).toBe("github.event_name == 'pull_request' && github.base_ref == 'main'");
    expect(job.needs).toBe('build');
    const script = runs(job.steps);
    expect(script).toContain('bin/kitchen.ts promote-report --from dev --to production --out promotion-report.md');
    expect(script).toContain('npx cdk diff "$PRODUCTION_STACK"');
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
    const create = steps.find((s) => s.run?.includes('bin/kitchen.ts create "${{ steps.name.outputs.kitchen }}"'));
    const remove = steps.find((s) => s.run?.includes('bin/kitchen.ts delete "${{ steps.name.outputs.kitchen }}"'));
    expect(create?.if).toBe("github.event.action != 'closed'");
    expect(remove?.if).toBe("github.event.action == 'closed'");
  });
});
