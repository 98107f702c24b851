import * as fc from 'fast-check';
import { environmentIdentity } from '../../../lib/align/check';
import { compareValues } from '../../../lib/align/diff';
import { compareStrings, equalModulo, SideIdentity } from '../../../lib/align/identity';
import type { EnvironmentConfig } from '../../../lib/config/model';
import { exampleConfig } from '../../support/app';

const side = (env: string, account: string, cidr: string, extra: Record<string, string[]> = {}): SideIdentity => ({
  values: {
    env: [env],
    account: [account],
    region: ['eu-west-1'],
    stage: [env === 'production' ? 'production' : 'development'],
    ...extra,
  },
  cidr,
});
const prod = side('production', '111111111111', '10.10.0.0/16');
const dev = side('dev', '222222222222', '10.20.0.0/16');
const named = (env: string) => side(env, '222222222222', '10.20.0.0/16');
const same = (a: string, b: string, from = dev, to = prod) => compareStrings(a, b, from, to).equal;

describe('identity by position', () => {
  it('should accept each side holding its own identity value at the same place', () => {
    expect(same('acme-dev-landing-222222222222', 'acme-production-landing-111111111111')).toBe(true);
    expect(same('arn:aws:iam::222222222222:role/acme-dev-x', 'arn:aws:iam::111111111111:role/acme-production-x')).toBe(
      true,
    );
    expect(compareStrings('a-dev', 'a-production', dev, prod)).toStrictEqual({ equal: true, identity: true });
  });

  it('fails when one side holds the other side value, or a value of another kind', () => {
    expect(same('acme-production-x', 'acme-production-y')).toBe(false);
    expect(same('role/222222222222', 'role/production')).toBe(false);
    expect(same('acme-dev', 'acme-staging')).toBe(false);
  });

  it('should leave a value that is equal on both sides alone: an image in the production account registry', () => {
    const image = '111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme/ingest:1.4.2';
    expect(compareStrings(image, image, dev, prod)).toStrictEqual({ equal: true, identity: false });
  });

  it('should not take an image tag for a network prefix', () => {
    expect(same('acme/ingest:10.20.3', 'acme/ingest:10.10.3')).toBe(false);
    expect(same('acme/ingest:10.20.3', 'acme/ingest:10.20.3')).toBe(true);
  });

  it('should pair addresses at the same offset of each block, and only those', () => {
    expect(same('10.20.0.0/18', '10.10.0.0/18')).toBe(true);
    expect(same('10.20.64.0/18', '10.10.64.0/18')).toBe(true);
    expect(same('10.20.64.0/18', '10.10.128.0/18')).toBe(false);
    expect(same('10.20.0.0/18', '10.10.0.0/24')).toBe(false);
    expect(same('10.30.0.0/18', '10.10.0.0/18')).toBe(false);
  });

  it('should read an environment named test as the environment only where the other side has its own name', () => {
    const test = named('test');
    expect(same('Test: orders row count', 'Test: orders row count', test)).toBe(true);
    expect(same('test / orders: test failed', 'production / orders: test failed', test)).toBe(true);
    expect(same('test / orders: test failed', 'production / orders: tests failed', test)).toBe(false);
    expect(same('test / orders', 'staging / orders', test)).toBe(false);
  });

  it('should compare asset hashes by the source they were built from', () => {
    const [a, b] = ['a'.repeat(64), 'b'.repeat(64)];
    const withAssets = (s: SideIdentity, assets: [string, string][]) => ({ ...s, assets: new Map(assets) });
    expect(
      compareStrings(`${a}.zip`, `${b}.zip`, withAssets(dev, [[a, 'src1']]), withAssets(prod, [[b, 'src1']])),
    ).toStrictEqual({
      equal: true,
      identity: true,
    });
    expect(
      compareStrings(`${a}.zip`, `${b}.zip`, withAssets(dev, [[a, 'src1']]), withAssets(prod, [[b, 'src2']])),
    ).toStrictEqual({
      equal: false,
      assets: [a, b],
    });
    // an image digest is not an asset: no source known, so another digest is another image
    expect(same(`ingest@sha256:${a}`, `ingest@sha256:${b}`)).toBe(false);
  });
});

describe('identity wherever it appears', () => {
  // a development environment in another account, region and partition than production, with its own zones
  const config = exampleConfig();
  const production = config.environments.find((e) => e.name === 'production')!;
  const elsewhere = (region: string, account: string, name = 'dev'): EnvironmentConfig => ({
    ...config.environments.find((e) => e.name === 'dev')!,
    name,
    region,
    account,
    availabilityZones: [`${region}a`, `${region}b`],
  });
  const prodSide = environmentIdentity(production);
  const usEast = environmentIdentity(elsewhere('us-east-1', '333333333333'));
  const china = environmentIdentity(elsewhere('cn-north-1', '444444444444'));
  const same = (a: string, b: string, from = usEast) => compareStrings(a, b, from, prodSide).equal;

  it('should take a region after a dot as the region: service principals, endpoints, VPC endpoint services', () => {
    expect(same('logs.us-east-1.amazonaws.com', 'logs.eu-west-1.amazonaws.com')).toBe(true);
    expect(same('secretsmanager.us-east-1.amazonaws.com', 'secretsmanager.eu-west-1.amazonaws.com')).toBe(true);
    expect(same('com.amazonaws.us-east-1.s3', 'com.amazonaws.eu-west-1.s3')).toBe(true);
    expect(same('us-east-1b', 'eu-west-1b')).toBe(true);
    expect(
      same(
        'https://sqs.us-east-1.amazonaws.com/333333333333/acme-dev-q',
        'https://sqs.eu-west-1.amazonaws.com/111111111111/acme-production-q',
      ),
    ).toBe(true);
  });

  it('should take an environment name after a dot as the environment name', () => {
    expect(same('acme.dev.internal', 'acme.production.internal')).toBe(true);
    expect(same('db.dev.acme.example', 'db.production.acme.example')).toBe(true);
  });

  it('should take the partition and URL suffix as identity', () => {
    expect(same('arn:aws-cn:s3:::acme-dev-raw', 'arn:aws:s3:::acme-production-raw', china)).toBe(true);
    expect(same('logs.cn-north-1.amazonaws.com.cn', 'logs.eu-west-1.amazonaws.com', china)).toBe(true);
  });

  it('fails when the other side holds another value than its own, after a dot or not', () => {
    expect(same('logs.us-west-2.amazonaws.com', 'logs.eu-west-1.amazonaws.com')).toBe(false);
    expect(same('logs.eu-west-1.amazonaws.com', 'logs.eu-west-1.amazonaws.com.cn')).toBe(false);
    expect(same('acme.staging.internal', 'acme.production.internal')).toBe(false);
    expect(same('sqs.us-east-1.amazonaws.com', 'sns.eu-west-1.amazonaws.com')).toBe(false);
  });

  it("should split a text the same way on both sides: one side's region named literally on both is no difference", () => {
    // a certificate that must live in us-east-1, referenced by both environments, next to each side's own name
    expect(
      same(
        'arn:aws:acm:us-east-1:111111111111:certificate/abc acme-dev',
        'arn:aws:acm:us-east-1:111111111111:certificate/abc acme-production',
      ),
    ).toBe(true);
  });

  it('should hold for any text: identity placeholders are identity, any other change is a difference', () => {
    const kinds = ['env', 'account', 'region', 'az', 'partition', 'urlSuffix', 'stage'] as const;
    const separators = ['.', ':', '/', '-', '_', ' ', '@', '='];
    const word = fc.stringMatching(/^[a-z0-9]{1,6}$/);
    const fragment = fc.oneof(
      fc.record({ kind: fc.constantFrom(...kinds), index: fc.nat(1) }),
      fc.record({ literal: word }),
    );
    const text = fc.array(fc.tuple(fragment, fc.constantFrom(...separators)), { minLength: 1, maxLength: 8 });
    type Fragment = { kind: (typeof kinds)[number]; index: number } | { literal: string };
    const render = (parts: [Fragment, string][], side: SideIdentity) =>
      parts
        .map(([f, sep]) => {
          if ('literal' in f) return `${f.literal}${sep}`;
          const values = side.values[f.kind];
          return `${values[f.index % values.length]}${sep}`;
        })
        .join('');
    fc.assert(
      fc.property(text, (parts) => {
        // literals that happen to spell an identity value of either side are not literals
        const all = new Set([...Object.values(usEast.values).flat(), ...Object.values(prodSide.values).flat()]);
        fc.pre(parts.every(([f]) => !('literal' in f) || !all.has(f.literal)));
        expect(compareStrings(render(parts, usEast), render(parts, prodSide), usEast, prodSide).equal).toBe(true);
      }),
    );
    fc.assert(
      fc.property(text, fc.nat(), word, (parts, at, other) => {
        const i = at % parts.length;
        const all = new Set([...Object.values(usEast.values).flat(), ...Object.values(prodSide.values).flat()]);
        fc.pre(parts.every(([f]) => !('literal' in f) || !all.has(f.literal)) && !all.has(other));
        const changed = parts.map((p, j): [Fragment, string] => (j === i ? [{ literal: other }, p[1]] : p));
        const before = render(parts, prodSide);
        const after = render(changed, prodSide);
        fc.pre(render([parts[i]], usEast) !== render([changed[i]], usEast) && before !== after);
        // the development text with one fragment replaced by another word is not production's text
        expect(compareStrings(render(changed, usEast), before, usEast, prodSide).equal).toBe(false);
      }),
    );
  });
});

describe('structural comparison', () => {
  const strings = (a: string, b: string) => compareStrings(a, b, dev, prod);

  it('should pair list elements that differ only by identity and report the rest', () => {
    const result = compareValues(
      ['arn:aws:s3:::acme-dev-raw', 'arn:aws:s3:::acme-dev-landing', 'extra'],
      ['arn:aws:s3:::acme-production-landing', 'arn:aws:s3:::acme-production-raw'],
      strings,
    );
    expect(result.differences).toStrictEqual([{ path: [], from: ['extra'], to: [], kind: 'elements' }]);
  });

  it('should compare unordered lists as multisets and ordered ones in order', () => {
    const policy = (statements: unknown[]) => ({ PolicyDocument: { Statement: statements } });
    const read = { Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: 'arn:aws:s3:::acme-dev-raw' };
    const write = { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::acme-dev-raw' };
    const readProd = {
      ...read,
      Action: ['s3:ListBucket', 's3:GetObject'],
      Resource: 'arn:aws:s3:::acme-production-raw',
    };
    const writeProd = { ...write, Resource: 'arn:aws:s3:::acme-production-raw' };
    const same = compareValues(policy([read, write]), policy([writeProd, readProd]), strings);
    expect(same.differences).toStrictEqual([]);
    // each pair's identity differences are recorded at the development element's place
    expect(same.identity.map((d) => d.path.join('.'))).toStrictEqual([
      'PolicyDocument.Statement.0.Resource',
      'PolicyDocument.Statement.1.Resource',
    ]);
    // a repeated element counts: a multiset, not a set
    expect(compareValues({ Tags: ['a', 'a', 'b'] }, { Tags: ['a', 'b', 'b'] }, strings).differences).toStrictEqual([
      { path: ['Tags', 1], from: 'a', to: 'b', kind: 'changed' },
    ]);
    // container commands keep their order
    expect(compareValues({ Command: ['a', 'b'] }, { Command: ['b', 'a'] }, strings).differences).toHaveLength(2);
  });

  it('should pair elements of an unordered list by name when they changed', () => {
    const result = compareValues(
      {
        Parameters: [
          { ParameterName: 'a', ParameterValue: '1' },
          { ParameterName: 'b', ParameterValue: '2' },
          { ParameterName: 'c', ParameterValue: '3' },
        ],
      },
      {
        Parameters: [
          { ParameterName: 'c', ParameterValue: '3' },
          { ParameterName: 'b', ParameterValue: '9' },
          { ParameterName: 'a', ParameterValue: '8' },
        ],
      },
      strings,
    );
    expect(result.differences).toStrictEqual([
      { path: ['Parameters', 0, 'ParameterValue'], from: '1', to: '8', kind: 'changed' },
      { path: ['Parameters', 1, 'ParameterValue'], from: '2', to: '9', kind: 'changed' },
    ]);
  });

  it('should pair keys that differ only by identity', () => {
    const result = compareValues({ 'acme-dev-x': 1 }, { 'acme-production-x': 1 }, strings);
    expect(result.differences).toStrictEqual([]);
    expect(result.identity).toHaveLength(1);
  });
});

describe('text equal modulo pairs', () => {
  const pairs: [string, string][] = [
    ['analytics', 'k_profit_report'],
    ['', 'kitchens/profit-report/'],
  ];

  it('should accept a Kitchen schema and an empty environment prefix at the same places', () => {
    expect(equalModulo('SELECT 1 FROM analytics.orders', 'SELECT 1 FROM k_profit_report.orders', pairs)).toBe(true);
    expect(equalModulo('s3://raw/orders/', 's3://raw/kitchens/profit-report/orders/', pairs)).toBe(true);
  });

  it('fails on any other difference, and treats references as opaque only when asked', () => {
    expect(equalModulo('SELECT 1 FROM analytics.orders', 'SELECT 0', pairs)).toBe(false);
    expect(equalModulo('x ${A.Arn} y', 'x ${B} y', pairs)).toBe(false);
    expect(equalModulo('x ${A.Arn} y', 'x ${B} y', pairs, /\$\{[^}]*\}/)).toBe(true);
  });
});
