/**
 * The alignment gate on layouts real teams have (issue #24): environments in other regions and accounts, lists in
 * another order, resources whose logical ids carry an environment name or a content hash, divergence that must not
 * excuse more than it names, and config differences. Environments are built here from the bundled config.
 */
import * as fs from 'fs';
import { CfnResource } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { parse } from 'yaml';
import { buildApp } from '../../../lib/app';
import * as fc from 'fast-check';
import {
  AlignmentResult,
  AppBuilder,
  checkAlignment,
  compareEnvironments,
  resolveEnvironments,
  synthesizeWithAssets,
  Template,
} from '../../../lib/align';
import { UNORDERED_LIST_PROPERTIES } from '../../../lib/align/order';
import { parseConfig } from '../../../lib/config/loader';
import type { KitchensConfig } from '../../../lib/config/model';
import type { EnvironmentStack } from '../../../constructs/environment/environment-stack';
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
        key.addPropertyOverride('KeyPolicy.Statement.3.Principal.Service', 'logs.us-west-2.amazonaws.com');
        return built;
      },
    });
    expect(drift(result)).toStrictEqual([
      'EnvironmentVaultKey338F8E0B Properties.KeyPolicy.Statement[3].Principal.Service: "logs.us-west-2.amazonaws.com" / "logs.eu-west-1.amazonaws.com"',
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

describe('pairing by what a resource is', () => {
  const config = variant(() => undefined);
  /**
   * Adds to every environment: a function whose environment variable names the environment, published through
   * `currentVersion` (its logical id carries a hash of that configuration), and a topic whose construct id carries
   * the environment name. `devOnly` adds one more topic to development; `devCode` gives development other code.
   */
  const withNamedResources =
    (options: { devOnly?: boolean; devCode?: string; pathMetadata?: boolean } = {}): AppBuilder =>
    (c, o) => {
      const built = buildApp(c, {
        ...o,
        context: { ...o.context, ...(options.pathMetadata === false ? { 'aws:cdk:enable-path-metadata': false } : {}) },
      });
      for (const stack of Object.values(built.environments)) {
        const env = stack.releaseEnvironment.config;
        const dev = env.stage === 'development';
        const fn = new lambda.Function(stack, 'Audit', {
          runtime: lambda.Runtime.NODEJS_24_X,
          handler: 'index.handler',
          code: lambda.Code.fromInline(dev && options.devCode ? options.devCode : 'exports.handler = async () => 1;'),
          environment: { ENVIRONMENT: env.name, TABLE: `acme-${env.name}-audit` },
        });
        new lambda.Alias(stack, 'AuditLive', { aliasName: 'live', version: fn.currentVersion });
        const topic = new sns.Topic(stack, `Audit${env.name}`, { enforceSSL: true });
        topic.grantPublish(fn);
        if (dev && options.devOnly) new sns.Topic(stack, 'Scratch', { enforceSSL: true });
      }
      return built;
    };

  it('should pair a Lambda version and a construct named after its environment, and find them aligned', () => {
    const result = checkAlignment({ config, build: withNamedResources() });
    expect(drift(result)).toStrictEqual([]);
    const paired = result.differences.filter((d) => d.path === '(logical id)');
    expect(paired.map((d) => [d.resourceType, d.reason.replace(/^.*paired by /, '')]).sort()).toStrictEqual([
      ['AWS::Lambda::Version', 'construct path Audit/CurrentVersion/Resource'],
      ['AWS::SNS::Topic', 'construct path Auditdev/Resource'],
      ['AWS::SNS::TopicPolicy', 'construct path Auditdev/Policy/Resource'],
    ]);
  });

  it('should take construct paths from the cloud assembly, not from aws:cdk:path in the template', () => {
    const build = withNamedResources({ pathMetadata: false });
    const { templates } = synthesizeWithAssets(config, ['dev'], build);
    expect(JSON.stringify(templates.dev)).not.toContain('aws:cdk:path');
    const result = checkAlignment({ config, build });
    expect(drift(result)).toStrictEqual([]);
    expect(
      result.differences.filter((d) => d.path === '(logical id)').map((d) => d.reason.replace(/^.*paired by /, '')),
    ).toStrictEqual([
      'construct path Audit/CurrentVersion/Resource',
      'construct path Auditdev/Resource',
      'construct path Auditdev/Policy/Resource',
    ]);
  });

  it('should pair by logical id without its content hash when no construct paths are known', () => {
    const synthesized = synthesizeWithAssets(config, ['dev', 'production'], withNamedResources());
    const result = compareEnvironments(config, config.environments[1], config.environments[0], {
      templates: synthesized.templates,
      assets: synthesized.assets,
    });
    // the version pairs by its id without the hash; the topics, named after each environment, by identity
    const paired = result.differences.filter((d) => d.path === '(logical id)');
    expect(paired.map((d) => d.resourceType).sort()).toStrictEqual([
      'AWS::Lambda::Version',
      'AWS::SNS::Topic',
      'AWS::SNS::TopicPolicy',
    ]);
    // without construct paths (and no aws:cdk:path in these templates) the library's schedule rule cannot be told
    // from any other rule, so `schedules` does not excuse it: the gate errs towards drift, never towards silence
    expect(drift(result)).toStrictEqual([
      'EnvironmentPipelineOrdersSchedule1C86F704 Properties.State: "DISABLED" / "ENABLED"',
    ]);
  });

  it('fails when a paired function has other code, and on a resource found in development only', () => {
    const result = checkAlignment({
      config,
      build: withNamedResources({ devOnly: true, devCode: 'exports.handler = async () => 2;' }),
    });
    expect(
      result.differences
        .filter((d) => d.classification === 'drift')
        .map((d) => `${d.resourceType} ${d.path} ${d.reason}`),
    ).toStrictEqual([
      'AWS::Lambda::Function Properties.Code.ZipFile undeclared drift: the values differ',
      'AWS::SNS::Topic  undeclared drift: the resource exists only in dev',
      'AWS::SNS::TopicPolicy  undeclared drift: the resource exists only in dev',
    ]);
  });
});

describe('declared divergence covers exactly what its field produces', () => {
  const config = variant(() => undefined);
  /** Adds a rule to every environment, enabled only where `enabled(stage)` says. */
  const withRule =
    (id: string, props: (stack: EnvironmentStack) => events.RuleProps): AppBuilder =>
    (c, o) => {
      const built = buildApp(c, o);
      for (const stack of Object.values(built.environments)) new events.Rule(stack, id, props(stack));
      return built;
    };
  const inProductionOnly = (stack: EnvironmentStack) => stack.releaseEnvironment.config.stage === 'production';

  it("should excuse the library's pipeline schedule, ENABLED in production and DISABLED in dev", () => {
    expect(config.divergence).toContain('schedules');
    const result = checkAlignment({ config });
    expect(
      result.differences
        .filter((d) => d.divergence === 'schedules')
        .map((d) => `${d.logicalId} ${d.path} ${String(d.from)} ${String(d.to)}`),
    ).toStrictEqual(['EnvironmentPipelineOrdersSchedule1C86F704 Properties.State DISABLED ENABLED']);
  });

  it('fails when a failure-alert rule is disabled only in dev, although schedules is declared', () => {
    const result = checkAlignment({
      config,
      build: withRule('FailureAlert', (stack) => ({
        enabled: inProductionOnly(stack),
        eventPattern: { source: ['aws.states'], detailType: ['Step Functions Execution Status Change'] },
        targets: [new targets.SnsTopic(stack.releaseEnvironment.alerts.topic)],
      })),
    });
    expect(result.differences.filter((d) => d.classification === 'drift')).toStrictEqual([
      expect.objectContaining({
        logicalId: expect.stringMatching(/^FailureAlert[A-F0-9]{8}$/),
        resourceType: 'AWS::Events::Rule',
        path: 'Properties.State',
        from: 'DISABLED',
        to: 'ENABLED',
        reason: 'undeclared drift: the values differ',
      }),
    ]);
  });

  it("fails when a schedule rule of the app's own (not the library's) is disabled only in dev", () => {
    const result = checkAlignment({
      config,
      build: withRule('NightlyExport', (stack) => ({
        enabled: inProductionOnly(stack),
        schedule: events.Schedule.expression('cron(0 4 * * ? *)'),
        targets: [new targets.SnsTopic(stack.releaseEnvironment.alerts.topic)],
      })),
    });
    expect(drift(result)).toStrictEqual([
      expect.stringMatching(/^NightlyExport[A-F0-9]{8} Properties\.State: "DISABLED" \/ "ENABLED"$/),
    ]);
  });

  it('fails when the pipeline schedules are swapped: enabled in dev and disabled in production', () => {
    const result = checkAlignment({
      config,
      build: (c, o) => {
        const built = buildApp(c, o);
        for (const stack of Object.values(built.environments)) {
          const rule = stack.node
            .findAll()
            .find((n) => n.node.path.endsWith('/Schedule/Resource/Resource')) as CfnResource;
          rule.addPropertyOverride('State', inProductionOnly(stack) ? 'DISABLED' : 'ENABLED');
        }
        return built;
      },
    });
    expect(result.differences.filter((d) => d.classification === 'drift').map((d) => d.reason)).toStrictEqual([
      'undeclared drift: schedules is declared, but the value does not come from the config: dev has "ENABLED" where its config\'s schedules gives "DISABLED"; production has "DISABLED" where its config\'s schedules gives "ENABLED"',
    ]);
  });
});
