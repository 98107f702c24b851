import { buildApp } from '../../../lib/app';
import {
  checkKitchenAlignment,
  compareKitchenPipelines,
  kitchenPairs,
  stateMachineDefinition,
} from '../../../lib/align';
import type { Template as CfnTemplate } from '../../../lib/align/normalize';
import * as path from 'path';
import { kitchen as run } from '../../cli/support/cli';
import type { PipelineDefinition } from '../../../lib/pipeline/model';
import { exampleConfig, EXAMPLE_CONFIG, foldedTemplate } from '../../support/app';

describe('a Kitchen against its environment', () => {
  const config = exampleConfig();
  const built = buildApp(config, { nag: false, context: { kitchen: 'profit-report' } });
  const stack = built.kitchens['profit-report'];
  const names = { environment: stack.kitchen.environmentNames, kitchen: stack.kitchen.names };
  const envTemplate = foldedTemplate(built.environments.dev).toJSON() as CfnTemplate;
  const kitchenTemplate = () => JSON.parse(JSON.stringify(foldedTemplate(stack).toJSON())) as CfnTemplate;
  const kitchenMachine = (t: CfnTemplate) =>
    Object.values(t.Resources!).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;

  it('should find the bundled Kitchen running the same pipelines as dev', () => {
    const result = checkKitchenAlignment({ config, kitchen: 'profit-report' });
    expect(result).toMatchObject({
      kitchen: 'profit-report',
      environment: 'dev',
      aligned: true,
      pipelines: ['orders'],
      differences: [],
    });
  });

  it('fails when a test state is missing from the Kitchen copy, naming it', () => {
    const t = kitchenTemplate();
    const machine = kitchenMachine(t);
    const definition = stateMachineDefinition(machine.Properties)!;
    const testState = Object.keys(definition.States!).find((s) => s.startsWith('Test: '))!;
    expect(testState).toMatch(/^Test: /);
    delete definition.States![testState];
    machine.Properties!.DefinitionString = JSON.stringify(definition);
    const result = compareKitchenPipelines(envTemplate, t, names);
    expect(result.aligned).toBe(false);
    expect(result.differences).toEqual(
      expect.arrayContaining([
        {
          pipeline: 'orders',
          kind: 'state-missing',
          state: testState,
          detail: `state "${testState}" is missing in the Kitchen`,
        },
      ]),
    );
    expect(result.differences.some((d) => d.kind === 'transition')).toBe(true);
  });

  it('fails when the Kitchen has no copy of a pipeline', () => {
    const t = kitchenTemplate();
    const id = Object.entries(t.Resources!).find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')![0];
    delete t.Resources![id];
    expect(compareKitchenPipelines(envTemplate, t, names).differences).toStrictEqual([
      { pipeline: 'orders', kind: 'missing-in-kitchen', detail: 'pipeline orders has no copy in the Kitchen' },
    ]);
  });

  it('should answer from the CLI with exit 0, and refuse bad arguments with exit 2', async () => {
    const ok = await run(['align', '--kitchen', 'profit-report'], EXAMPLE_CONFIG);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ALIGNED: Kitchen profit-report runs the same 1 pipeline(s) as dev (orders)');
    const badName = await run(['align', '--kitchen', 'Profit'], EXAMPLE_CONFIG);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('error: --kitchen: Kitchen name "Profit" must be lowercase letters');
    const mixed = await run(['align', '--kitchen', 'profit-report', '--from', 'dev'], EXAMPLE_CONFIG);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--kitchen compares a Kitchen with its own environment; leave out --from and --to');
    const envAlone = await run(['align', '--env', 'dev'], EXAMPLE_CONFIG);
    expect(envAlone.code).toBe(2);
    expect(envAlone.stderr).toContain('--env goes with --kitchen NAME');
  });

  it('fails when a Kitchen copy runs another query with the same steps, tests and transitions', async () => {
    const result = await run(
      [
        '--json',
        'align',
        '--kitchen',
        'profit-report',
        '--app',
        path.join(__dirname, '../../fixtures/align/corpus/kitchen-select-0.ts'),
      ],
      EXAMPLE_CONFIG,
    );
    expect(result.code).toBe(1);
    const differences = (
      JSON.parse(result.stdout) as { differences: { kind: string; state?: string; detail: string }[] }
    ).differences;
    expect(differences.length).toBeGreaterThan(0);
    // only parameters differ: no state or transition is missing
    expect([...new Set(differences.map((d) => d.kind))]).toStrictEqual(['state-parameters']);
    expect(differences.every((d) => /curated orders row count/.test(d.state ?? ''))).toBe(true);
  });

  it("fails when a Kitchen copy's test has another rule and level, spelling both out", () => {
    const envModel = built.environments.dev.releaseEnvironment.pipelines[0].definition;
    const kitchenModel = stack.kitchen.pipelines[0].definition;
    const relaxed: PipelineDefinition = {
      ...kitchenModel,
      steps: kitchenModel.steps.map((s) => ({
        ...s,
        tests: s.tests.map((t) =>
          t.name === 'orders freshness in days'
            ? { ...t, rule: { kind: 'max' as const, value: 30 }, level: 'log' as const }
            : t,
        ),
      })),
    };
    const pairs = kitchenPairs(built.environments.dev, stack);
    const unchanged = compareKitchenPipelines(envTemplate, kitchenTemplate(), names, {
      pairs,
      models: { environment: [envModel], kitchen: [kitchenModel] },
    });
    expect(unchanged.differences).toStrictEqual([]);
    const result = compareKitchenPipelines(envTemplate, kitchenTemplate(), names, {
      pairs,
      models: { environment: [envModel], kitchen: [relaxed] },
    });
    expect(result.differences).toStrictEqual([
      {
        pipeline: 'orders',
        kind: 'test',
        detail:
          'step "Build curated orders" test "orders freshness in days": rule max 1 in the environment, max 30 in the Kitchen; level error in the environment, log in the Kitchen',
      },
    ]);
  });
});
