/**
 * The Kitchen-per-pull-request workflow (examples/ci/kitchen-per-pr.yml), executed: each `run` step of the
 * closed-pull-request path runs in bash as GitHub Actions would run it (expressions substituted, GITHUB_OUTPUT a
 * file, stdin not a terminal), against moto's CloudFormation holding the Kitchen's stack with the stack tags of a
 * synthesized Kitchen.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { describeKitchenStack } from '../../../lib/kitchen/stacks';
import { exampleConfig } from '../../support/app';
import { synthesizeKitchens } from '../../support/kitchen-assembly';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { motoEndpoint, putStack } from './moto';

const ROOT = path.join(__dirname, '..', '..', '..');
const BRANCH = 'feature/CI-Recipe_Check';
type Step = { name?: string; run?: string; if?: string; env?: Record<string, string> };

/** Runs one workflow step in bash; `${{ ... }}` expressions are replaced from `values`. */
function runStep(step: Step, values: Record<string, string>, env: Record<string, string>) {
  const script = step.run!.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
    if (!(expression in values)) throw new Error(`no value for expression ${expression} in step ${step.name}`);
    return values[expression];
  });
  const stepEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(step.env ?? {})) {
    stepEnv[key] = value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => values[e]);
  }
  return spawnSync('bash', ['-e', '-c', script], {
    cwd: ROOT,
    env: { ...process.env, ...env, ...stepEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 300_000,
  });
}

describe('the Kitchen-per-pull-request workflow, executed for a closed pull request', () => {
  const workflow = parse(fs.readFileSync(path.join(ROOT, 'examples', 'ci', 'kitchen-per-pr.yml'), 'utf8'));
  const steps: Step[] = workflow.jobs.kitchen.steps;
  const config = exampleConfig();
  const dev = config.environments.find((e) => e.name === 'dev')!;
  /**
   * What aws-actions/configure-aws-credentials gives the job: credentials of a development-account role. moto keeps
   * each account's stacks apart, so the stack, the CLI and the toolkit all work in that account, as in CI.
   */
  async function developmentCredentials() {
    // STS AssumeRole as a plain query request (moto does not check signatures)
    const body = new URLSearchParams({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: `arn:aws:iam::${dev.account}:role/cdk-hnb659fds-deploy-role-${dev.account}-${dev.region}`,
      RoleSessionName: 'ci-recipe-test',
    });
    const response = await fetch(`${motoEndpoint()}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${dev.region}/sts/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body,
    });
    const xml = await response.text();
    const field = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1] ?? '';
    const Credentials = {
      AccessKeyId: field('AccessKeyId'),
      SecretAccessKey: field('SecretAccessKey'),
      SessionToken: field('SessionToken'),
    };
    expect(Credentials.AccessKeyId).not.toBe('');
    return {
      accessKeyId: Credentials!.AccessKeyId!,
      secretAccessKey: Credentials!.SecretAccessKey!,
      sessionToken: Credentials!.SessionToken!,
    };
  }

  it('should name the Kitchen from the branch, then delete it without asking', async () => {
    const output = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-ci-')), 'github-output');
    fs.writeFileSync(output, '');
    const credentials = await developmentCredentials();
    const env = {
      GITHUB_OUTPUT: output,
      AWS_ENDPOINT_URL: motoEndpoint(),
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
    };
    // the step that names the Kitchen
    const named = runStep(
      steps.find((s) => s.run?.includes('name --from-branch'))!,
      { 'github.head_ref': BRANCH },
      env,
    );
    expect(named.stderr).toBe('');
    expect(named.status).toBe(0);
    const kitchen = /^kitchen=(.+)$/m.exec(fs.readFileSync(output, 'utf8'))![1];
    expect(kitchen).toBe('ci-recipe-check');

    // GIVEN the Kitchen's stack, deployed with the stack tags of the synthesized Kitchen
    const cfn = new CloudFormationClient({ region: dev.region, endpoint: motoEndpoint(), credentials });
    const [synthesized] = synthesizeKitchens(config, [kitchen]);
    await putStack(cfn, synthesized.stackName, Object.fromEntries(synthesized.tags.map((t) => [t.Key, t.Value])));
    expect(await describeKitchenStack(cfn, synthesized.stackName)).toBeDefined();

    // WHEN the delete step runs on the closed pull request (not a terminal: nobody can confirm)
    const remove = steps.find((s) => s.name === 'Delete the Kitchen')!;
    expect(remove.if).toBe("github.event.action == 'closed'");
    const deleted = runStep(remove, { 'steps.name.outputs.kitchen': kitchen }, env);
    // THEN it succeeds and the stack is gone
    expect({
      status: deleted.status,
      stderr: deleted.stderr.split('\n').filter((l) => /error/i.test(l)),
    }).toStrictEqual({
      status: 0,
      stderr: [],
    });
    expect(deleted.stdout).toContain(`Kitchen ${kitchen} deleted (stack ${synthesized.stackName})`);
    expect(await describeKitchenStack(cfn, synthesized.stackName)).toBeUndefined();
  }, 600_000); // two CLI processes (ts-node start-up, a synth); slow under a loaded machine
});
