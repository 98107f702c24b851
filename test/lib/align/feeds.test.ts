/**
 * The `feeds` divergence: a feed's freshness alarm exists in every environment, acts only where the config enables
 * the feed, and only acting alarms are in the all-green composite. Declared, each side must hold its own config's
 * value (value provenance); undeclared, every one of these differences is drift, the config difference included.
 */
import * as fs from 'fs';
import { parse } from 'yaml';
import { AlignmentResult, compareEnvironments } from '../../../lib/align';
import type { Template as CfnTemplate } from '../../../lib/align/normalize';
import { feedOfAlarm, withoutEnabledFeedTerms } from '../../../lib/align/normalize';
import { findEnvironment, parseConfig } from '../../../lib/config';
import type { KitchensConfig } from '../../../lib/config/model';
import { constructPathsOf, EXAMPLE_CONFIG, exampleConfig, synthEnvironments } from '../../support/app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON, edited freely by each case
type Any = any;

const bundled = exampleConfig();
const { built, templates } = synthEnvironments(bundled);
const json = (name: string): CfnTemplate => JSON.parse(JSON.stringify(templates[name].toJSON()));
const paths = {
  dev: constructPathsOf(built.environments.dev),
  production: constructPathsOf(built.environments.production),
};

function compare(config: KitchensConfig, dev: CfnTemplate = json('dev'), production = json('production')) {
  return compareEnvironments(config, findEnvironment(config, 'dev'), findEnvironment(config, 'production'), {
    templates: { dev, production },
    assets: {},
    paths,
  } as Parameters<typeof compareEnvironments>[3]);
}

const feedsDivergence = (r: AlignmentResult) =>
  r.differences
    .filter((d) => d.divergence === 'feeds')
    .map((d) => `${d.logicalId} ${d.path} ${JSON.stringify(d.from)} -> ${JSON.stringify(d.to)}`);

function feedAlarmId(t: CfnTemplate): string {
  return Object.entries(t.Resources ?? {}).find(([, r]) => feedOfAlarm(r) === 'orders')![0];
}
function compositeId(t: CfnTemplate): string {
  return Object.entries(t.Resources ?? {}).find(([, r]) => r.Type === 'AWS::CloudWatch::CompositeAlarm')![0];
}

describe('the bundled config, feeds declared', () => {
  const result = compare(bundled);

  it('should be aligned, with the alarm and the composite as declared divergence', () => {
    expect(result.counts.drift).toBe(0);
    const dev = json('dev');
    expect(feedsDivergence(result)).toStrictEqual([
      `${compositeId(dev)} Properties.AlarmRule [] -> ["orders"]`,
      `${feedAlarmId(dev)} Properties.ActionsEnabled false -> true`,
    ]);
  });
});

describe('feeds not declared', () => {
  const config = parseConfig(
    (() => {
      const raw = parse(fs.readFileSync(EXAMPLE_CONFIG, 'utf8'));
      raw.alignment.divergence = raw.alignment.divergence.filter((f: string) => f !== 'feeds');
      return raw;
    })(),
    EXAMPLE_CONFIG,
    { undeclaredDivergence: 'allow' },
  );
  const result = compare(config);

  it('should report the config difference, the alarm and the composite as drift', () => {
    expect(result.aligned).toBe(false);
    const drift = result.differences.filter((d) => d.classification === 'drift');
    expect(drift.map((d) => `${d.section} ${d.logicalId} ${d.path}`)).toStrictEqual([
      'Config feeds ',
      `Resources ${compositeId(json('dev'))} Properties.AlarmRule.Fn::Join[1]`,
      `Resources ${feedAlarmId(json('dev'))} Properties.ActionsEnabled`,
    ]);
    expect(drift[0]).toMatchObject({ from: [], to: ['orders'] });
    expect(drift[0].reason).toBe(
      'undeclared drift: kitchens.config.yaml enables the feeds [] in dev and ["orders"] in production (feeds[].enabledIn); ' +
        'declare "feeds" under alignment.divergence if this difference is intended',
    );
    expect(drift[2].reason).toContain('(declare "feeds" under alignment.divergence if this difference is intended)');
  });
});

describe('value provenance: each side must hold what its own config says', () => {
  it('reports the feed alarm acting in dev and not in production (the configs say the opposite)', () => {
    const dev = json('dev');
    const prod = json('production');
    dev.Resources![feedAlarmId(dev)].Properties!.ActionsEnabled = true;
    prod.Resources![feedAlarmId(prod)].Properties!.ActionsEnabled = false;
    const drift = compare(bundled, dev, prod).differences.filter((d) => d.classification === 'drift');
    expect(drift.map((d) => `${d.logicalId} ${d.path}`)).toStrictEqual([
      `${feedAlarmId(dev)} Properties.ActionsEnabled`,
    ]);
    expect(drift[0].reason).toBe(
      "undeclared drift: feeds is declared, but the value does not come from the config: dev has true where its config's feeds gives false; " +
        "production has false where its config's feeds gives true",
    );
  });

  it('reports a dev all-green composite that watches the alarm of a feed dev does not enable', () => {
    const dev = json('dev');
    const prod = json('production');
    dev.Resources![compositeId(dev)].Properties!.AlarmRule = prod.Resources![compositeId(prod)].Properties!.AlarmRule;
    const drift = compare(bundled, dev, prod).differences.filter((d) => d.classification === 'drift');
    expect(drift.map((d) => `${d.logicalId} ${d.path}`)).toStrictEqual([
      `${compositeId(dev)} Properties.AlarmRule.Fn::Join[1]`,
    ]);
  });

  it('reports a production all-green composite that leaves out the alarm of a feed production enables, when dev watches it', () => {
    const dev = json('dev');
    const prod = json('production');
    const devRule = dev.Resources![compositeId(dev)].Properties!.AlarmRule;
    dev.Resources![compositeId(dev)].Properties!.AlarmRule = prod.Resources![compositeId(prod)].Properties!.AlarmRule;
    prod.Resources![compositeId(prod)].Properties!.AlarmRule = devRule;
    const drift = compare(bundled, dev, prod).differences.filter((d) => d.classification === 'drift');
    expect(drift.map((d) => `${d.logicalId} ${d.path}`)).toStrictEqual([
      `${compositeId(dev)} Properties.AlarmRule.Fn::Join[1]`,
    ]);
  });
});

describe('withoutEnabledFeedTerms', () => {
  it('removes only the terms of alarms of feeds the side enables, wherever they are in the rule', () => {
    const prod = json('production');
    const id = compositeId(prod);
    const alarm = feedAlarmId(prod);
    const parts = prod.Resources![id].Properties!.AlarmRule as Any;
    // move the feed term first
    const items: Any[] = parts['Fn::Join'][1];
    const feedAt = items.findIndex((p) => p?.['Fn::GetAtt']?.[0] === alarm);
    items.splice(feedAt - 1, 2);
    items.splice(1, 0, { 'Fn::GetAtt': [alarm, 'Arn'] }, '") OR ALARM("');
    const before = JSON.stringify(items);
    const { template, removed } = withoutEnabledFeedTerms(prod, findEnvironment(bundled, 'production'));
    expect(removed).toStrictEqual([{ logicalId: id, feeds: ['orders'] }]);
    const rule = JSON.stringify((template.Resources![id].Properties!.AlarmRule as Any)['Fn::Join'][1]);
    expect(rule).not.toContain(alarm);
    expect(rule.startsWith('["(ALARM(\\"",{"Fn::GetAtt"')).toBe(true);
    expect(JSON.stringify(items)).toBe(before); // the input is left as it was
    // dev enables no feed: nothing is removed
    expect(withoutEnabledFeedTerms(json('dev'), findEnvironment(bundled, 'dev')).removed).toStrictEqual([]);
  });
});
