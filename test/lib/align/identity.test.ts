import { compareValues } from '../../../lib/align/diff';
import { compareStrings, equalModulo, SideIdentity } from '../../../lib/align/identity';

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
