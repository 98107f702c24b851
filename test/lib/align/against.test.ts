import { buildApp } from '../../../lib/app';
import {
  compareWithParent,
  kitchenIdentity,
  renderParentComparisonMarkdown,
  renderParentComparisonText,
  type KitchenSide,
} from '../../../lib/align/against';
import { compareStrings } from '../../../lib/align/identity';
import type { Template as CfnTemplate } from '../../../lib/align/normalize';
import type { PipelineDefinition } from '../../../lib/pipeline/model';
import { constructPathsOf, exampleConfig, foldedTemplate } from '../../support/app';

describe('a child Kitchen against its parent Kitchen', () => {
  const config = exampleConfig();
  const env = config.environments.find((e) => e.kitchens)!;
  const parentStack = buildApp(config, { nag: false, context: { kitchen: 'integration', kitchenOwner: 'ci' } }).kitchens
    .integration;
  const childStack = buildApp(config, {
    nag: false,
    context: { kitchen: 'feature', kitchenParent: 'integration', kitchenOwner: 'ana' },
  }).kitchens.feature;
  const side = (stack: typeof parentStack, label: string): KitchenSide => ({
    label,
    template: JSON.parse(JSON.stringify(foldedTemplate(stack).toJSON())) as CfnTemplate,
    paths: constructPathsOf(stack),
    pipelines: JSON.parse(JSON.stringify(stack.kitchen.pipelines.map((p) => p.definition))) as PipelineDefinition[],
  });
  const compare = (child: KitchenSide, parent: KitchenSide = side(parentStack, '`origin/integration` (abc1234)')) =>
    compareWithParent({
      config,
      environment: env,
      child: 'feature',
      parent: 'integration',
      childSide: child,
      parentSide: parent,
    });

  it('should find only identity between two Kitchens built from the same code', () => {
    const result = compare(side(childStack, 'this checkout'));
    expect(result.differences).toStrictEqual([]);
    expect(result.pipelines).toStrictEqual([]);
    // the commit each side was built from is provenance, shown apart (both built from this checkout here)
    expect(result.commits.parent).toMatch(/^([0-9a-f]{40}|unknown)$/);
    expect(result.commits.child).toBe(result.commits.parent);
    expect(renderParentComparisonText(result)).toContain(
      `\nBuilt from: integration ${result.commits.parent!.slice(0, 7)}, feature ${result.commits.child!.slice(0, 7)}\n`,
    );
    // names derived from each Kitchen's name (stack, schema, user, prefix, secrets, topics) and its tags
    expect(result.identity).toBeGreaterThan(100);
    expect(renderParentComparisonText(result)).toMatch(
      /^Kitchen feature does what its parent integration \(`origin\/integration` \(abc1234\)\) does: no differences besides identity/,
    );
  });

  it("should report the child's pipeline and template changes, naming both sides", () => {
    const child = side(childStack, 'this checkout');
    const step = child.pipelines![0].steps.find((s) => (s.tests ?? []).length > 0)!;
    const dropped = step.tests![0].name;
    (step as unknown as { tests: unknown[] }).tests = step.tests!.slice(1);
    const [logGroup, resource] = Object.entries(child.template.Resources!).find(([id]) =>
      id.startsWith('KitchenContainersLogs'),
    )!;
    resource.Properties = { ...resource.Properties, RetentionInDays: 7 };
    const result = compare(child);
    expect(result.differences).toStrictEqual([
      {
        section: 'Resources',
        logicalId: logGroup,
        resourceType: 'AWS::Logs::LogGroup',
        path: 'Properties.RetentionInDays',
        parent: 30,
        child: 7,
      },
    ]);
    expect(result.pipelines).toHaveLength(1);
    expect(result.pipelines[0].steps[0].tests).toStrictEqual([
      expect.objectContaining({ name: dropped, change: 'removed' }),
    ]);
    const text = renderParentComparisonText(result);
    expect(text).toContain('differs from its parent integration');
    expect(text).toContain(`    test "${dropped}": removed`);
    expect(text).toContain(
      `  ${logGroup} (AWS::Logs::LogGroup) Properties.RetentionInDays\n    integration: 30\n    feature: 7`,
    );
    const markdown = renderParentComparisonMarkdown(result);
    expect(markdown).toContain('# Kitchen `feature` against its parent `integration`');
    expect(markdown).toContain(`| ${logGroup} (AWS::Logs::LogGroup) Properties.RetentionInDays | \`30\` | \`7\` |`);
    expect(markdown).toContain(`    - Test **${dropped}**: removed`);
  });

  it("should not take another Kitchen's name for identity", () => {
    const parent = kitchenIdentity(config, env, 'integration', { Resources: {} });
    const child = kitchenIdentity(config, env, 'feature', { Resources: {} });
    expect(compareStrings('k_integration.orders', 'k_feature.orders', parent, child)).toStrictEqual({
      equal: true,
      identity: true,
    });
    expect(compareStrings('k_integration.orders', 'k_other.orders', parent, child)).toStrictEqual({ equal: false });
    expect(compareStrings('kitchens/integration/x', 'kitchens/feature/y', parent, child)).toStrictEqual({
      equal: false,
    });
  });

  it('should cut the Markdown to the budget, saying how many rows were left out', () => {
    const child = side(childStack, 'this checkout');
    for (const [id, r] of Object.entries(child.template.Resources!))
      if (r.Type === 'AWS::IAM::Role')
        child.template.Resources![id] = { ...r, Properties: { ...r.Properties, Path: `/${'x'.repeat(300)}/` } };
    const result = compare(child);
    expect(result.differences.length).toBeGreaterThan(5);
    const markdown = renderParentComparisonMarkdown(result, 2000);
    expect(markdown.length).toBeLessThanOrEqual(2000);
    expect(markdown).toMatch(/_\d+ more differences: run `kitchen align`\._/);
  });
});
