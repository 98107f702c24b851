/**
 * The alignment gate on layouts real teams have (issue #24): environments in other regions and accounts, lists in
 * another order, resources whose logical ids carry an environment name or a content hash, divergence that must not
 * excuse more than it names, and config differences. Environments are built here from the bundled config.
 */
import * as fs from 'fs';
import { CfnResource } from 'aws-cdk-lib';
import { parse } from 'yaml';
import { buildApp } from '../../../lib/app';
import { AlignmentResult, checkAlignment } from '../../../lib/align';
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
