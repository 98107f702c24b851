/**
 * `kitchen align --kitchen CHILD --against PARENT`: the child synthesized from the checkout against its parent Kitchen
 * as deployed (CloudFormation GetTemplate, served by moto) or as built from a git ref. What the child changes is
 * reported with exit 0; exit 1 only when the parent cannot be compared as asked, 2 on bad arguments.
 */
import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { Template } from 'aws-cdk-lib/assertions';
import * as path from 'path';
import { buildApp } from '../../lib/app';
import { EXAMPLE_CONFIG, exampleConfig } from '../support/app';
import { deleteStack, motoCloudFormation, motoEndpoint, useMotoAccount } from '../lib/kitchen/moto';
import { kitchen } from './support/cli';

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
