import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildApp } from '../../../lib/app';
import { loadConfig } from '../../../lib/config';
import { stackDeployments } from '../../../lib/observability/delivery';
import { DEPLOYMENT_METADATA_KEY, deploymentCommit, gitCommit, UNKNOWN } from '../../../lib/observability/deployment';
import { EXAMPLE_CONFIG } from '../../support/app';
import { tempOutdir } from '../../support/synth';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const COMMITTED_AT = '2026-11-27T16:45:12+01:00';

interface Artifact {
  readonly type: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string };
}

describe('the deployed commit in the cloud assembly', () => {
  // GIVEN the bundled app synthesized with the commit given as context (production, development, one Kitchen)
  const outdir = tempOutdir('deploy-meta');
  const config = loadConfig(EXAMPLE_CONFIG);
  buildApp(config, {
    nag: false,
    outdir,
    context: { kitchen: 'meta-check', 'kitchens:commit': COMMIT, 'kitchens:commit-time': COMMITTED_AT },
  }).app.synth();
  // WHEN the templates are read the way the toolkit hands them to CloudFormation: manifest -> templateFile
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, Artifact>;
  };
  const templates = Object.entries(manifest.artifacts)
    .filter(([, a]) => a.type === 'aws:cloudformation:stack')
    .map(([id, a]) => ({
      // The toolkit deploys under properties.stackName, or the artifact id when that is absent.
      stackName: a.properties!.stackName ?? id,
      template: JSON.parse(fs.readFileSync(path.join(outdir, a.properties!.templateFile!), 'utf8')),
    }));
  const byName = (name: string) => templates.find((t) => t.stackName === name)!.template;
  const markers = (template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }) =>
    Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::SSM::Parameter' && String(r.Properties.Name).endsWith('/deployment/commit'),
    );

  it('should put the commit and its time in the Metadata of every environment and Kitchen template', () => {
    for (const name of ['acme-production', 'acme-dev', 'acme-dev-kitchen-meta-check']) {
      expect(byName(name).Metadata[DEPLOYMENT_METADATA_KEY]).toStrictEqual({
        commit: COMMIT,
        committedAt: COMMITTED_AT,
        source: 'context',
      });
    }
  });

  it('should give each environment one deployment marker parameter holding the commit', () => {
    for (const [name, env] of [
      ['acme-production', 'production'],
      ['acme-dev', 'dev'],
    ]) {
      const found = markers(byName(name));
      expect(found).toHaveLength(1);
      expect(found[0].Properties).toMatchObject({
        Name: `/acme/${env}/deployment/commit`,
        Type: 'String',
        Value: JSON.stringify({ commit: COMMIT, committedAt: COMMITTED_AT }),
      });
    }
    expect(markers(byName('acme-dev-kitchen-meta-check'))).toHaveLength(0);
  });

  it('should read the commit back from a stack event whose ResourceProperties are the marker properties', () => {
    // CloudFormation reports a resource's properties in its events as a JSON string (StackEvent.ResourceProperties).
    const properties = JSON.stringify(markers(byName('acme-production'))[0].Properties);
    const stackId =
      'arn:aws:cloudformation:eu-west-1:111111111111:stack/acme-production/4f1c2d30-aa11-11ef-9c4e-0a1b2c3d4e5f';
    const stackEvent = (status: string, at: string) => ({
      StackId: stackId,
      EventId: `evt-${status}-${at}`,
      StackName: 'acme-production',
      LogicalResourceId: 'acme-production',
      PhysicalResourceId: stackId,
      ResourceType: 'AWS::CloudFormation::Stack',
      Timestamp: new Date(at),
      ResourceStatus: status,
    });
    const events = [
      stackEvent('UPDATE_COMPLETE', '2026-11-28T10:06:00Z'),
      {
        StackId: stackId,
        EventId: 'DeployedCommit6E3D1A45-UPDATE_IN_PROGRESS-2026-11-28T10:02:00.000Z',
        StackName: 'acme-production',
        LogicalResourceId: 'DeployedCommit6E3D1A45',
        PhysicalResourceId: '/acme/production/deployment/commit',
        ResourceType: 'AWS::SSM::Parameter',
        Timestamp: new Date('2026-11-28T10:02:00Z'),
        ResourceStatus: 'UPDATE_IN_PROGRESS',
        ResourceProperties: properties,
      },
      stackEvent('UPDATE_IN_PROGRESS', '2026-11-28T10:00:00Z'),
    ];
    expect(stackDeployments(events, 'acme-production', '/acme/production/deployment/commit')).toStrictEqual([
      {
        startedAt: '2026-11-28T10:00:00.000Z',
        endedAt: '2026-11-28T10:06:00.000Z',
        outcome: 'succeeded',
        status: 'UPDATE_COMPLETE',
        commit: COMMIT,
        committedAt: COMMITTED_AT,
        // 16:45:12 +01:00 the day before is 15:45:12 UTC: 18 h 20 min 48 s before 10:06.
        leadTimeSeconds: 18 * 3600 + 20 * 60 + 48,
      },
    ]);
  });
});

describe('where the commit comes from', () => {
  it('should read the last commit and its committer date from git', () => {
    // GIVEN a git repository with one commit at a fixed time
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-git-'));
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: dir,
        stdio: 'pipe',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'a',
          GIT_AUTHOR_EMAIL: 'a@example.com',
          GIT_COMMITTER_NAME: 'a',
          GIT_COMMITTER_EMAIL: 'a@example.com',
          GIT_COMMITTER_DATE: '2026-11-20T08:30:00+00:00',
        },
        encoding: 'utf8',
      });
    git('init', '-q');
    fs.writeFileSync(path.join(dir, 'kitchens.config.yaml'), 'project: x\n');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    const head = git('rev-parse', 'HEAD').trim();
    // WHEN / THEN
    expect(gitCommit(dir)).toStrictEqual({ commit: head, committedAt: '2026-11-20T08:30:00+00:00', source: 'git' });
    expect(deploymentCommit(() => undefined, dir)).toStrictEqual({
      commit: head,
      committedAt: '2026-11-20T08:30:00+00:00',
      source: 'git',
    });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('should fall back to unknown outside a git checkout', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-nogit-'));
    expect(gitCommit(dir)).toBeUndefined();
    expect(deploymentCommit(() => undefined, dir)).toStrictEqual({
      commit: UNKNOWN,
      committedAt: UNKNOWN,
      source: 'none',
    });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('should prefer the context values to git', () => {
    const context: Record<string, string> = { 'kitchens:commit': COMMIT, 'kitchens:commit-time': COMMITTED_AT };
    expect(
      deploymentCommit(
        (k) => context[k],
        os.tmpdir(),
        () => ({ commit: 'x', committedAt: 'y', source: 'git' }),
      ),
    ).toStrictEqual({ commit: COMMIT, committedAt: COMMITTED_AT, source: 'context' });
  });

  it('fails when a context value is malformed or given alone', () => {
    const of = (context: Record<string, unknown>) => () => deploymentCommit((k) => context[k], os.tmpdir());
    expect(of({ 'kitchens:commit': 'abc123', 'kitchens:commit-time': COMMITTED_AT })).toThrow(
      'context kitchens:commit must be a full git commit id (40 lowercase hex digits), got: "abc123"',
    );
    expect(of({ 'kitchens:commit': COMMIT })).toThrow(
      "context kitchens:commit-time must be the commit's time in ISO 8601 with a zone, such as 2026-11-28T09:15:00Z, got: null",
    );
    expect(of({ 'kitchens:commit': COMMIT, 'kitchens:commit-time': '2026-11-28 09:15' })).toThrow(
      'context kitchens:commit-time must be the commit\'s time in ISO 8601 with a zone, such as 2026-11-28T09:15:00Z, got: "2026-11-28 09:15"',
    );
  });

  it('fails the app build with a config error naming the context key', () => {
    expect(() =>
      buildApp(loadConfig(EXAMPLE_CONFIG), {
        nag: false,
        context: { 'kitchens:commit': 'HEAD', 'kitchens:commit-time': COMMITTED_AT },
      }),
    ).toThrow('context kitchens:commit must be a full git commit id (40 lowercase hex digits), got: "HEAD"');
  });
});
