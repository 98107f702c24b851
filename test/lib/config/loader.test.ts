import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../../lib/config';
import { EXAMPLE_CONFIG, exampleConfigProblems as problems } from '../../support/app';

const FILE = path.relative(process.cwd(), EXAMPLE_CONFIG);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a raw YAML document, edited freely by each case
function example(): any {
  return parse(fs.readFileSync(EXAMPLE_CONFIG, 'utf8'));
}

describe('the bundled example config', () => {
  it('should load with both environments and declared divergence', () => {
    const config = loadConfig(EXAMPLE_CONFIG);
    expect(config.project).toBe('acme');
    expect(config.environments.map((e) => [e.name, e.stage])).toStrictEqual([
      ['production', 'production'],
      ['dev', 'development'],
    ]);
    expect(config.environments[0].removalPolicy).toBe('retain');
    expect(config.environments[1].kitchens).toStrictEqual({ defaultTtlHours: 72, maxTtlHours: 336 });
    expect(config.divergence).toContain('warehouse.nodes');
  });
});

describe('bad config files', () => {
  it('fails on a wrong type with file, path, value and what is allowed', () => {
    const raw = example();
    raw.environments.dev.warehouse.nodes = 'two';
    expect(problems(raw)).toStrictEqual([
      `${FILE}: environments.dev.warehouse.nodes must be an integer from 1 to 128, got: "two"`,
    ]);
  });

  it('fails on an unknown key and lists the allowed ones', () => {
    const raw = example();
    raw.environments.production.warehouse.nodeCount = 2;
    expect(problems(raw)).toStrictEqual([
      `${FILE}: environments.production.warehouse.nodeCount is not a known setting; allowed here: nodeType, nodes, database, schema`,
    ]);
  });

  it('fails when there is no production environment', () => {
    const raw = example();
    delete raw.environments.production;
    expect(problems(raw)).toStrictEqual([
      `${FILE}: environments must declare exactly one environment with stage "production", got none`,
      `${FILE}: environments.dev.clone.from must name another environment of this file (there is none), got: "production"`,
      `${FILE}: feeds[0].enabledIn[0] must name an environment of this file (dev), got: "production"`,
    ]);
  });

  it('fails on an invalid environment name', () => {
    const raw = example();
    raw.environments['Dev_1'] = raw.environments.dev;
    delete raw.environments.dev;
    expect(problems(raw)[0]).toBe(
      `${FILE}: environments.Dev_1 must be 2-10 lowercase letters and digits, starting with a letter, got: "Dev_1"`,
    );
  });

  it('fails on an invalid project name', () => {
    const raw = example();
    raw.project = 'Acme Corp';
    expect(problems(raw)).toStrictEqual([
      `${FILE}: project must be 2-12 lowercase letters and digits, starting with a letter, got: "Acme Corp"`,
    ]);
  });

  it('fails on a malformed SSH key', () => {
    const raw = example();
    raw.environments.production.sftp.users[0].sshPublicKey = 'ssh-ed25519';
    expect(problems(raw)).toStrictEqual([
      `${FILE}: environments.production.sftp.users[0].sshPublicKey must be an OpenSSH public key: "ssh-ed25519 AAAA...", "ssh-rsa AAAA..." or "ecdsa-sha2-nistp256 AAAA...", got: "ssh-ed25519"`,
    ]);
  });

  it('fails on a missing required setting', () => {
    const raw = example();
    delete raw.environments.production.account;
    expect(problems(raw)).toStrictEqual([
      `${FILE}: environments.production.account is required and must be a string (a 12-digit AWS account id in quotes, such as "123456789012")`,
    ]);
  });

  it('fails on an account id written as a number', () => {
    const raw = example();
    raw.environments.production.account = 111111111111;
    expect(problems(raw)[0]).toMatch(/environments\.production\.account must be a string .*, got: 111111111111$/);
  });

  it('fails when development diverges from production in an undeclared field', () => {
    const raw = example();
    raw.alignment.divergence = raw.alignment.divergence.filter((d: string) => d !== 'warehouse.nodes');
    expect(problems(raw)).toStrictEqual([
      `${FILE}: environments.dev.warehouse.nodes is 1 but production (production) has 2; development may differ from production only in fields listed under alignment.divergence (add "warehouse.nodes" there to declare it)`,
    ]);
  });

  it('fails on an unknown divergence field', () => {
    const raw = example();
    raw.alignment.divergence.push('warehouse.encryption');
    expect(problems(raw)[0]).toMatch(
      /^.*: alignment\.divergence\[9\] must be one of warehouse\.nodeType, .*, got: "warehouse\.encryption"$/,
    );
  });

  it('fails on a Fargate cpu/memory pair that does not exist', () => {
    const raw = example();
    raw.apps[0].memory = 8192;
    expect(problems(raw)).toStrictEqual([
      `${FILE}: apps[0].memory must be one of 1024, 2048, 3072, 4096 for cpu 512, got: 8192`,
    ]);
  });

  it('fails on Kitchens in production and on zones outside the region', () => {
    const raw = example();
    raw.environments.production.kitchens = { defaultTtlHours: 1 };
    raw.environments.production.availabilityZones = ['eu-west-1a', 'us-east-1b'];
    expect(problems(raw)).toStrictEqual([
      `${FILE}: environments.production.availabilityZones[1] must be in region eu-west-1, got: "us-east-1b"`,
      `${FILE}: environments.production.kitchens is only allowed on a development environment, got it on stage "production"`,
    ]);
  });

  it('fails on a clone plan whose source is not another environment', () => {
    const raw = example();
    raw.environments.dev.clone.from = 'staging';
    expect(problems(raw)).toStrictEqual([
      `${FILE}: environments.dev.clone.from must name another environment of this file (production), got: "staging"`,
    ]);
    raw.environments.dev.clone.from = 'dev';
    expect(problems(raw)).toStrictEqual([
      `${FILE}: environments.dev.clone.from must name another environment of this file (production), got: "dev"`,
    ]);
  });

  it('fails on a pipeline file that does not exist', () => {
    const raw = example();
    raw.pipelines = ['pipelines/nope.yaml'];
    expect(problems(raw)).toStrictEqual([
      `${FILE}: pipelines[0] must name a pipeline file, got: "pipelines/nope.yaml", which does not exist`,
    ]);
  });

  it('reports every problem at once', () => {
    const raw = example();
    raw.environments.production.schedules = 'yes';
    raw.environments.dev.region = 'Europe';
    expect(problems(raw)).toHaveLength(2);
  });

  it('fails on invalid YAML and on a missing file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-config-'));
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'project: acme\n  environments: [\n');
    expect(() => loadConfig(file)).toThrow(/bad\.yaml: invalid YAML: /);
    expect(() => loadConfig(path.join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: config file not found/);
    fs.writeFileSync(file, stringify({ ...example(), project: 'acme', apps: 'none' }));
    expect(() => loadConfig(file)).toThrow(/apps must be a list of container apps, got: "none"/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
