/**
 * The alignment gate on layouts real teams have (issue #24): environments in other regions and accounts, lists in
 * another order, resources whose logical ids carry an environment name or a content hash, divergence that must not
 * excuse more than it names, and config differences. Environments are built here from the bundled config.
 */
import * as fs from 'fs';
import { CfnResource } from 'aws-cdk-lib';
import { parse } from 'yaml';
import { buildApp } from '../../../lib/app';
import * as fc from 'fast-check';
import {
  AlignmentResult,
  checkAlignment,
  compareEnvironments,
  resolveEnvironments,
  synthesizeWithAssets,
  Template,
} from '../../../lib/align';
import { UNORDERED_LIST_PROPERTIES } from '../../../lib/align/order';
import { parseConfig } from '../../../lib/config/loader';
import type { KitchensConfig } from '../../../lib/config/model';
import { EXAMPLE_CONFIG } from '../../support/app';

type RawConfig = {
  environments: Record<string, Record<string, unknown> & { retention: Record<string, unknown> }>;
  alignment?: { divergence?: string[] };
  [key: string]: unknown;
};

/** The bundled config with an edit, validated by the real loader (the file path keeps pipeline paths resolving). */
export function variant(edit: (raw: RawConfig) => void): KitchensConfig {
  const raw = parse(fs.readFileSync(EXAMPLE_CONFIG, 'utf8')) as RawConfig;
  edit(raw);
  return parseConfig(raw, EXAMPLE_CONFIG);
}

const drift = (r: AlignmentResult) =>
  r.differences
    .filter((d) => d.classification === 'drift')
    .map((d) => `${d.logicalId} ${d.path}: ${JSON.stringify(d.from)} / ${JSON.stringify(d.to)}`);

describe('a development environment in another region and account, with its own availability zones', () => {
  it.each([
    ['us-east-1', '333333333333'],
    ['eu-central-1', '444444444444'],
    ['us-gov-west-1', '555555555555'],
    ['cn-north-1', '666666666666'],
  ])('should be aligned in %s (account %s)', (region, account) => {
    const config = variant((raw) => {
      Object.assign(raw.environments.dev, { region, account, availabilityZones: [`${region}a`, `${region}b`] });
    });
    const result = checkAlignment({ config });
    expect(drift(result)).toStrictEqual([]);
    // the service principals and endpoints of the vault key policy are among the identity differences
    expect(result.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          classification: 'identity',
          resourceType: 'AWS::KMS::Key',
          from: expect.stringMatching(new RegExp(`^logs\\.${region}\\.amazonaws\\.com`)),
          to: 'logs.eu-west-1.amazonaws.com',
        }),
      ]),
    );
  });

  it('fails when a development endpoint names a third region', () => {
    const config = variant((raw) => {
      Object.assign(raw.environments.dev, {
        region: 'us-east-1',
        account: '333333333333',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
      });
    });
    const result = checkAlignment({
      config,
      build: (c, o) => {
        const built = buildApp(c, o);
        const key = built.environments.dev.releaseEnvironment.vault.key.node.defaultChild as CfnResource;
        key.addPropertyOverride('KeyPolicy.Statement.2.Principal.Service', 'logs.us-west-2.amazonaws.com');
        return built;
      },
    });
    expect(drift(result)).toStrictEqual([
      'EnvironmentVaultKey338F8E0B Properties.KeyPolicy.Statement[2].Principal.Service: "logs.us-west-2.amazonaws.com" / "logs.eu-west-1.amazonaws.com"',
    ]);
  });
});

describe('meaning, not order', () => {
  // both environments synthesized once; each case edits a copy of the development template
  const config = variant(() => undefined);
  const { from, to } = resolveEnvironments(config);
  const synthesized = synthesizeWithAssets(config, [from.name, to.name]);
  const compareWith = (edit: (template: Template) => void, editTo?: (template: Template) => void) => {
    const copy = JSON.parse(JSON.stringify(synthesized.templates)) as Record<string, Template>;
    edit(copy[from.name]);
    editTo?.(copy[to.name]);
    return compareEnvironments(config, from, to, { ...synthesized, templates: copy });
  };
  /** Applies `change` to every list held by a property named in `keys`, at any depth. */
  const everyList = (value: unknown, keys: ReadonlySet<string>, change: (list: unknown[]) => unknown[]): unknown => {
    if (Array.isArray(value)) return value.map((v) => everyList(v, keys, change));
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        const inner = everyList(v, keys, change);
        return [k, Array.isArray(inner) && keys.has(k) ? change(inner) : inner];
      }),
    );
  };
  const reverseAll = (keys: string[]) => (t: Template) => {
    t.Resources = everyList(t.Resources, new Set(keys), (l) => [...l].reverse()) as Template['Resources'];
  };
  const count = (t: Template, key: string) => {
    let n = 0;
    everyList(t.Resources, new Set([key]), (l) => (l.length > 1 && n++, l));
    return n;
  };

  it.each([
    ['Redshift parameters', 'Parameters'],
    ['IAM statements', 'Statement'],
    ['IAM actions', 'Action'],
    ['IAM resources', 'Resource'],
    ['tags', 'Tags'],
    ['subnet lists', 'SubnetIds'],
  ])('should find %s in reverse order aligned', (_what, key) => {
    // the bundled development template has lists of more than one element to reverse
    expect(count(synthesized.templates[from.name], key)).toBeGreaterThan(0);
    expect(drift(compareWith(reverseAll([key])))).toStrictEqual([]);
  });

  it('should find security group rules in another order aligned', () => {
    // two egress rules on the tasks' security group in both environments, in opposite orders
    const rules = [
      { CidrIp: '0.0.0.0/0', Description: 'HTTPS', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
      { CidrIp: '10.0.0.0/8', Description: 'SQL', FromPort: 5439, IpProtocol: 'tcp', ToPort: 5439 },
    ];
    const withRules = (order: typeof rules) => (t: Template) => {
      t.Resources!.EnvironmentContainersSecurityGroup09BFBFC1.Properties!.SecurityGroupEgress = order;
    };
    expect(drift(compareWith(withRules([...rules].reverse()), withRules(rules)))).toStrictEqual([]);
    expect(drift(compareWith(withRules(rules.slice(0, 1)), withRules(rules)))).toHaveLength(1);
  });

  it('should find every unordered list in any order aligned (generated permutations)', () => {
    fc.assert(
      fc.property(fc.infiniteStream(fc.nat()), (randoms) => {
        const shuffle = (list: unknown[]) => {
          const copy = [...list];
          for (let i = copy.length - 1; i > 0; i--) {
            const j = randoms.next().value % (i + 1);
            [copy[i], copy[j]] = [copy[j], copy[i]];
          }
          return copy;
        };
        const result = compareWith((t) => {
          t.Resources = everyList(t.Resources, UNORDERED_LIST_PROPERTIES, shuffle) as Template['Resources'];
        });
        expect(drift(result)).toStrictEqual([]);
      }),
      { numRuns: 15 },
    );
  });

  it('should still find a changed element of an unordered list, named by its place in development', () => {
    const result = compareWith((t) => {
      const group = Object.values(t.Resources!).find((r) => r.Type === 'AWS::Redshift::ClusterParameterGroup')!;
      const parameters = [...(group.Properties!.Parameters as { ParameterName: string; ParameterValue: string }[])];
      parameters.reverse();
      parameters[0] = { ...parameters[0], ParameterValue: 'changed' };
      group.Properties!.Parameters = parameters;
    });
    expect(drift(result)).toEqual([
      expect.stringMatching(/ Properties\.Parameters\[0\]\.ParameterValue: "changed" \/ /),
    ]);
  });

  it('fails when an ordered list changes order: container commands, Fn::Join parts', () => {
    const command = compareWith((t) => {
      const task = Object.values(t.Resources!).find((r) => r.Type === 'AWS::ECS::TaskDefinition')!;
      const container = (task.Properties!.ContainerDefinitions as { Command: string[] }[])[0];
      container.Command = [...container.Command].reverse();
    });
    expect(drift(command).length).toBeGreaterThan(0);
    expect(drift(command).every((d) => /ContainerDefinitions\[0\]\.Command\[\d\]/.test(d))).toBe(true);
    const join = compareWith(reverseAll(['Fn::Join']));
    expect(drift(join).length).toBeGreaterThan(0);
  });
});
