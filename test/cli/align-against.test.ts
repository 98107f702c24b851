/**
 * `kitchen align --kitchen CHILD --against PARENT`: the child synthesized from the checkout against its parent Kitchen
 * as deployed (CloudFormation GetTemplate, served by moto) or as built from a git ref. What the child changes is
 * reported with exit 0; exit 1 only when the parent cannot be compared as asked, 2 on bad arguments.
 */
import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { type BucketLocationConstraint, CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Template } from 'aws-cdk-lib/assertions';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildApp } from '../../lib/app';
import { assemblyFiles } from '../../lib/templates';
import { EXAMPLE_CONFIG, exampleConfig } from '../support/app';
import { deleteStack, motoCloudFormation, motoEndpoint, useMotoAccount } from '../lib/kitchen/moto';
import { git, kitchen } from './support/cli';
import { writeConfigVariant } from '../fixtures/align/corpus';

/** The library's own app, built in this process (`--app` module form). */
const APP = path.join(__dirname, '..', '..', 'lib', 'app.ts');

/**
 * Part of a Kitchen's template deployed to moto (CreateStack; GetTemplate then serves it as CloudFormation would).
 * moto creates few of a Kitchen's resource types, so the deployed parent holds the ones it can: its alert topic and
 * a log group, with the SSM parameter they read published first, as the environment stack publishes it.
 */
async function deployParent(
  region: string,
  stackName: string,
  template: KitchenTemplate,
  edit: (resources: KitchenTemplate['Resources']) => void = () => undefined,
): Promise<string[]> {
  const kept = Object.entries(template.Resources).filter(
    ([id, r]) =>
      r.Type === 'AWS::SNS::Topic' || (r.Type === 'AWS::Logs::LogGroup' && id.startsWith('KitchenContainersLogs')),
  );
  const resources = Object.fromEntries(kept.map(([id, r]) => [id, { ...r, DependsOn: undefined }]));
  edit(resources);
  const parameters = Object.fromEntries(
    Object.entries(template.Parameters).filter(([, p]) => p.Default === '/acme/dev/vault/key-arn'),
  );
  // SSM PutParameter through its JSON API (the SSM client is not a dependency of the package)
  const put = await fetch(`${motoEndpoint()}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AmazonSSM.PutParameter',
      authorization: `AWS4-HMAC-SHA256 Credential=${process.env.AWS_ACCESS_KEY_ID}/20300101/${region}/ssm/aws4_request`,
    },
    body: JSON.stringify({
      Name: '/acme/dev/vault/key-arn',
      Value: 'arn:aws:kms:eu-west-1:111111111111:key/vault',
      Type: 'String',
      Overwrite: true,
    }),
  });
  expect(put.status).toBe(200);
  await motoCloudFormation(region).send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify({ Parameters: parameters, Resources: resources }),
    }),
  );
  return Object.keys(resources);
}

interface KitchenTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown }>;
  Parameters: Record<string, { Type: string; Default?: string }>;
}

describe('kitchen align --kitchen CHILD --against PARENT', () => {
  const config = exampleConfig();
  const env = config.environments.find((e) => e.kitchens)!;
  useMotoAccount(env.account, 'align-against');
  const parentStack = `acme-${env.name}-kitchen-integration`;
  const parentTemplate = () => {
    const built = buildApp(config, { nag: false, context: { kitchen: 'integration', kitchenOwner: 'ci' } });
    return JSON.parse(JSON.stringify(Template.fromStack(built.kitchens.integration).toJSON())) as KitchenTemplate;
  };
  afterEach(async () => {
    await deleteStack(motoCloudFormation(env.region), parentStack).catch(() => undefined);
  });

  it('should refuse bad arguments with exit 2 before reading anything', async () => {
    const cases: [string[], string][] = [
      [['--against', 'integration'], '--against PARENT goes with --kitchen CHILD'],
      [['--kitchen', 'feature', '--against', 'integration', '--from', 'dev'], 'leave out --from and --to'],
      [['--kitchen', 'feature', '--against', 'integration', '--to', 'production'], 'leave out --from and --to'],
      [['--kitchen', 'feature', '--against', 'dev'], 'dev is an environment: compare a Kitchen with its environment'],
      [['--kitchen', 'feature', '--against', 'Integration'], '--against: Kitchen name "Integration" must be lowercase'],
      [['--kitchen', 'feature', '--against', 'feature'], 'a Kitchen is not its own parent'],
      [['--kitchen', 'feature', '--base', 'deployed'], '--base goes with --kitchen CHILD --against PARENT'],
      [
        ['--kitchen', 'feature', '--against', 'integration', '--base', 'no-such-ref'],
        '--base no-such-ref: not a commit',
      ],
    ];
    for (const [args, message] of cases) {
      const result = await kitchen(['align', ...args], EXAMPLE_CONFIG);
      expect({ args, code: result.code }).toStrictEqual({ args, code: 2 });
      expect(result.stderr).toContain(message);
    }
  });

  it('should exit 1 when the parent Kitchen is not deployed', async () => {
    const result = await kitchen(
      ['align', '--kitchen', 'feature', '--against', 'integration', '--app', APP],
      EXAMPLE_CONFIG,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `Kitchen integration is not deployed in ${env.name} (no stack ${parentStack}); create it, or compare with its branch: --base REF`,
    );
  });

  it('should report what the child changes against the deployed parent, and still exit 0', async () => {
    const parent = parentTemplate();
    const logGroup = Object.keys(parent.Resources).find((id) => id.startsWith('KitchenContainersLogs'))!;
    const topic = Object.keys(parent.Resources).find((id) => parent.Resources[id].Type === 'AWS::SNS::Topic')!;
    const deployed = await deployParent(env.region, parentStack, parent, (resources) => {
      // the parent as deployed keeps its application logs ten years; the child's branch has 30 days
      resources[logGroup].Properties = { ...resources[logGroup].Properties, RetentionInDays: 3653 };
    });
    expect(deployed.sort()).toStrictEqual([logGroup, topic].sort());
    const text = await kitchen(
      ['align', '--kitchen', 'feature', '--against', 'integration', '--app', APP],
      EXAMPLE_CONFIG,
    );
    expect(text.stderr).toContain(`reading the deployed template of ${parentStack}`);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(
        `^Kitchen feature differs from its parent integration \\(deployed \`${parentStack}\`\\): \\d+ template differences`,
      ),
    );
    expect(text.stdout).toContain(
      [
        `  ${logGroup} (AWS::Logs::LogGroup) Properties.RetentionInDays`,
        '    integration: 3653',
        '    feature: 30',
      ].join('\n'),
    );
    const json = await kitchen(
      ['--json', 'align', '--kitchen', 'feature', '--against', 'integration', '--app', APP],
      EXAMPLE_CONFIG,
    );
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout) as { differences: { logicalId: string; path: string }[]; identity: number };
    // the topic differs only by identity: its name, display name and tags name each Kitchen
    expect(result.differences.filter((d) => d.logicalId === topic)).toStrictEqual([]);
    expect(result.differences.filter((d) => d.logicalId === logGroup)).toStrictEqual([
      expect.objectContaining({ path: 'Properties.RetentionInDays' }),
    ]);
    expect(result.identity).toBeGreaterThanOrEqual(7);
  });

  it("should fold a deployed parent's pipeline nested stack in, as the child's synthesized side is", async () => {
    // The parent's pipeline as deployed: its nested stack (the log groups of its machines, the part moto creates),
    // created from a template in S3 as CloudFormation creates a nested stack; the parent's retention is edited.
    const built = buildApp(config, { nag: false, context: { kitchen: 'integration', kitchenOwner: 'ci' } });
    const assembly = built.app.synth();
    const artifact = assembly.getStackArtifact(built.kitchens.integration.artifactId);
    const raw = artifact.template as KitchenTemplate;
    const [nestedId, nestedStack] = Object.entries(raw.Resources).find(
      ([, r]) => r.Type === 'AWS::CloudFormation::Stack',
    )!;
    const hash = /[a-f0-9]{64}/.exec(JSON.stringify(nestedStack.Properties?.TemplateURL))![0];
    const nested = JSON.parse(assemblyFiles(assembly.directory).read(hash)!) as KitchenTemplate;
    const logGroups = Object.entries(nested.Resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThan(0);
    const [editedId] = logGroups[0];
    const deployedNested = {
      Resources: Object.fromEntries(
        logGroups.map(([id, r]) => {
          const properties = { ...r.Properties };
          delete properties.KmsKeyId; // the key is a parameter the parent passes; moto needs no key
          return [
            id,
            { Type: r.Type, Properties: id === editedId ? { ...properties, RetentionInDays: 3653 } : properties },
          ];
        }),
      ),
    };
    const s3 = new S3Client({ region: env.region, endpoint: motoEndpoint(), forcePathStyle: true });
    try {
      await s3.send(
        new CreateBucketCommand({
          Bucket: 'against-assets',
          CreateBucketConfiguration: { LocationConstraint: env.region as BucketLocationConstraint },
        }),
      );
      await s3.send(
        new PutObjectCommand({ Bucket: 'against-assets', Key: `${hash}.json`, Body: JSON.stringify(deployedNested) }),
      );
    } finally {
      s3.destroy();
    }
    const nestedStackResource = {
      Type: 'AWS::CloudFormation::Stack',
      Properties: { TemplateURL: `https://s3.${env.region}.amazonaws.com/against-assets/${hash}.json` },
    };
    await deployParent(env.region, parentStack, raw, (resources) => {
      resources[nestedId] = nestedStackResource;
    });
    const json = await kitchen(
      ['--json', 'align', '--kitchen', 'feature', '--against', 'integration', '--app', APP],
      EXAMPLE_CONFIG,
    );
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout) as { differences: { logicalId: string; path: string }[] };
    // folded: the nested stack is no resource of either side, and its log group is compared property by property
    expect(result.differences.filter((d) => d.logicalId === nestedId)).toStrictEqual([]);
    expect(result.differences.filter((d) => d.logicalId === editedId)).toStrictEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'Properties.RetentionInDays' })]),
    );
    for (const [id] of logGroups.slice(1)) {
      expect(
        result.differences.filter((d) => d.logicalId === id && d.path === 'Properties.RetentionInDays'),
      ).toStrictEqual([]);
    }
  });

  it('should exit 3 when CloudFormation cannot be reached', async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    try {
      const result = await kitchen(['align', '--kitchen', 'feature', '--against', 'integration'], EXAMPLE_CONFIG);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`kitchen align: reading the deployed stack ${parentStack} failed:`);
    } finally {
      process.env.AWS_ENDPOINT_URL = saved;
    }
  });
});

/**
 * The parent's branch: a repository whose app (cdk.json) writes the parent Kitchen's cloud assembly, synthesized here
 * by buildApp, into CDK_OUTDIR, and only when it is asked for that Kitchen (the context the base is built with).
 */
const REF_APP = `
const fs = require('fs');
const context = JSON.parse(process.env.CDK_CONTEXT_JSON || '{}');
if (context.kitchen !== 'integration' || context.kitchenEnv !== 'dev') {
  console.error('asked for ' + JSON.stringify(context));
  process.exit(1);
}
if (fs.existsSync('broken')) { console.error('the parent branch does not build'); process.exit(1); }
fs.cpSync('assembly', process.env.CDK_OUTDIR, { recursive: true });
`;

describe('kitchen align and promote-report --against PARENT --base REF', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'against-ref-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'repo');
  let config = '';
  beforeAll(() => {
    fs.mkdirSync(root, { recursive: true });
    git(root, 'init', '--quiet', '--initial-branch=main');
    config = writeConfigVariant(EXAMPLE_CONFIG, root, 'kitchens', () => undefined);
    fs.writeFileSync(path.join(root, 'cdk.json'), JSON.stringify({ app: 'node app.js' }));
    fs.writeFileSync(path.join(root, 'app.js'), REF_APP);
    const built = buildApp(exampleConfig(), {
      nag: false,
      outdir: path.join(root, 'assembly'),
      context: { kitchen: 'integration', kitchenOwner: 'ci' },
    });
    built.app.synth();
    git(root, 'add', '.');
    git(root, 'commit', '--quiet', '-m', 'integration');
    git(root, 'branch', 'integration');
    fs.writeFileSync(path.join(root, 'broken'), 'x');
    git(root, 'add', '.');
    git(root, 'commit', '--quiet', '-m', 'broken');
    git(root, 'branch', 'broken');
  });

  it('should compare the child with its parent built at the ref: identity only, exit 0', async () => {
    const result = await kitchen(
      ['--json', 'align', '--kitchen', 'feature', '--against', 'integration', '--base', 'integration', '--app', APP],
      config,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { differences: unknown[]; pipelines: unknown[]; base: string };
    expect(json.base).toBe(`\`integration\` (${git(root, 'rev-parse', '--short=7', 'integration')})`);
    expect(json.differences).toStrictEqual([]);
    expect(json.pipelines).toStrictEqual([]);
  });

  it('should exit 1 when the ref cannot be built, saying why', async () => {
    const result = await kitchen(
      ['align', '--kitchen', 'feature', '--against', 'integration', '--base', 'broken', '--app', APP],
      config,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('kitchen align: Kitchen integration cannot be compared at broken: --base broken');
    expect(result.stderr).toContain('the parent branch does not build');
  });

  it('should write the same comparison as Markdown for the pull request', async () => {
    const out = path.join(dir, 'against.md');
    const comment = path.join(dir, 'comment.md');
    const result = await kitchen(
      [
        'promote-report',
        '--kitchen',
        'feature',
        '--against',
        'integration',
        '--base',
        'integration',
        '--app',
        APP,
        '--out',
        out,
        '--comment',
        comment,
      ],
      config,
    );
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`wrote ${out} and ${comment}`);
    const markdown = fs.readFileSync(out, 'utf8');
    expect(markdown).toContain('# Kitchen `feature` against its parent `integration`');
    expect(markdown).toContain('does what its parent integration');
    expect(fs.readFileSync(comment, 'utf8')).toBe(markdown);
  });

  it('should refuse promote-report --kitchen without --against, and --against with --from', async () => {
    const alone = await kitchen(['promote-report', '--kitchen', 'feature'], config);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--kitchen CHILD goes with --against PARENT');
    const mixed = await kitchen(
      ['promote-report', '--kitchen', 'feature', '--against', 'integration', '--from', 'dev'],
      config,
    );
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain(
      '--against compares a child Kitchen with its parent Kitchen; leave out --from and --to',
    );
  });
});
