/**
 * `kitchen promote-report` against a git base in repositories built here: the base is checked before the head is
 * synthesized, a shallow clone is told what to fetch, a base that cannot be built still gives a report of the head
 * (exit 4), and the base is built with its own dependencies. The base's app is a small node script that writes a
 * cloud assembly the way `cdk synth` does, so these tests need no second CDK synthesis.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { git, kitchen } from './support/cli';
import { EXAMPLE_CONFIG } from '../support/app';
import { writeConfigVariant } from '../fixtures/align/corpus';

/** The base's app: writes `acme-production` into CDK_OUTDIR, and what it saw of node_modules into BASE_MARKER. */
const BASE_APP = `
const fs = require('fs');
const path = require('path');
const out = process.env.CDK_OUTDIR;
if (process.env.BASE_MARKER) {
  fs.writeFileSync(process.env.BASE_MARKER, JSON.stringify({ headModules: fs.existsSync('node_modules/head-marker') }));
}
if (fs.existsSync('broken')) { console.error('base app: ' + fs.readFileSync('broken', 'utf8')); process.exit(1); }
fs.mkdirSync(out, { recursive: true });
const template = { Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'acme-production-q' } } } };
fs.writeFileSync(path.join(out, 'acme-production.template.json'), JSON.stringify(template));
fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({
  version: '48.0.0',
  artifacts: { 'acme-production': { type: 'aws:cloudformation:stack', environment: 'aws://111111111111/eu-west-1',
    properties: { templateFile: 'acme-production.template.json', stackName: 'acme-production' } } },
}));
`;

const lockOf = (name: string) =>
  JSON.stringify({
    name,
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name, version: '1.0.0' } },
  });

/**
 * A repository with two commits: `base` (the base app, its own lock file) and `main` (the head: the same files
 * with `edit` applied). The head's node_modules holds a marker file the base can see only through a link.
 */
function repository(
  dir: string,
  edit: (root: string) => void = () => undefined,
  baseEdit: (root: string) => void = () => undefined,
): { root: string; config: string } {
  const root = path.join(dir, 'repo');
  fs.mkdirSync(root, { recursive: true });
  git(root, 'init', '--quiet', '--initial-branch=main');
  const config = writeConfigVariant(EXAMPLE_CONFIG, root, 'kitchens', () => undefined);
  fs.renameSync(config, path.join(root, 'kitchens.config.yaml'));
  fs.writeFileSync(path.join(root, 'cdk.json'), JSON.stringify({ app: 'node app.js' }));
  fs.writeFileSync(path.join(root, 'app.js'), BASE_APP);
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'base-app', version: '1.0.0' }));
  fs.writeFileSync(path.join(root, 'package-lock.json'), lockOf('base-app'));
  fs.writeFileSync(path.join(root, '.gitignore'), 'node_modules/\n');
  baseEdit(root);
  git(root, 'add', '.');
  git(root, 'commit', '--quiet', '-m', 'base');
  git(root, 'branch', 'base');
  edit(root);
  git(root, 'add', '.');
  git(root, 'commit', '--quiet', '--allow-empty', '-m', 'head');
  fs.mkdirSync(path.join(root, 'node_modules', 'head-marker'), { recursive: true });
  return { root, config: path.join(root, 'kitchens.config.yaml') };
}

describe('kitchen promote-report with a git base', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promote-base-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => path.join(dir, String(n++));

  it('should check --base before synthesizing the head', async () => {
    const { config } = repository(fresh());
    // an app module that leaves a mark when it is asked to build
    const mark = path.join(dir, 'head-built');
    const app = path.join(dir, 'marking-app.js');
    fs.writeFileSync(
      app,
      `exports.buildApp = () => { require('fs').writeFileSync(${JSON.stringify(mark)}, 'x'); throw new Error('built'); };`,
    );
    const result = await kitchen(['promote-report', '--base', 'no-such-ref', '--app', app], config);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--base no-such-ref: not a commit in ');
    expect(result.stderr).not.toContain('shallow');
    expect(fs.existsSync(mark)).toBe(false);
  });

  it('should say what to fetch in a shallow clone, and the fetch it names makes the base resolve', async () => {
    const { root } = repository(fresh());
    const clone = path.join(dir, `shallow-${n}`);
    git(dir, 'clone', '--quiet', '--depth=1', '--branch=main', `file://${root}`, clone);
    const config = path.join(clone, 'kitchens.config.yaml');
    const result = await kitchen(['promote-report', '--base', 'origin/base'], config);
    expect(result.code).toBe(2);
    const hint = /\(`(git fetch [^`]+)`\)/.exec(result.stderr);
    expect(result.stderr).toContain('This is a shallow clone');
    expect(hint?.[1]).toBe('git fetch --no-tags --depth=1 origin base:refs/remotes/origin/base');
    git(clone, ...hint![1].split(' ').slice(1));
    expect(git(clone, 'rev-parse', '--verify', 'origin/base^{commit}')).toBe(git(root, 'rev-parse', 'base'));
  });

  it('should build the base with its own dependencies when its lock file differs from the checkout', async () => {
    const { config } = repository(fresh(), (root) =>
      fs.writeFileSync(path.join(root, 'package-lock.json'), lockOf('head-app')),
    );
    const marker = path.join(dir, `marker-${n}.json`);
    process.env.BASE_MARKER = marker;
    try {
      const result = await kitchen(['--json', 'promote-report', '--base', 'base'], config);
      expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toStrictEqual({
        code: 0,
        stderr: '',
      });
      expect(JSON.parse(fs.readFileSync(marker, 'utf8'))).toStrictEqual({ headModules: false });
      // the same lock file: the checkout's node_modules are shared
      const same = repository(fresh());
      const shared = await kitchen(['--json', 'promote-report', '--base', 'base'], same.config);
      expect(shared.code).toBe(0);
      expect(JSON.parse(fs.readFileSync(marker, 'utf8'))).toStrictEqual({ headModules: true });
    } finally {
      delete process.env.BASE_MARKER;
    }
  });

  it('should still report the head when the base cannot be built, say why, and exit 4', async () => {
    // the base's config is broken and its app fails; the pull request fixes both
    const { root, config } = repository(
      fresh(),
      (r) => fs.rmSync(path.join(r, 'broken')),
      (r) => fs.writeFileSync(path.join(r, 'broken'), 'this base does not synthesize'),
    );
    expect(fs.existsSync(path.join(root, 'broken'))).toBe(false);
    const out = path.join(dir, `report-${n}.md`);
    const comment = path.join(dir, `comment-${n}.md`);
    const result = await kitchen(['promote-report', '--base', 'base', '--out', out, '--comment', comment], config);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe(`wrote ${out} and ${comment}\n`);
    expect(result.stderr).toContain('the report covers the head alone (exit 4): --base base: the app at ');
    expect(result.stderr).toContain('base app: this base does not synthesize');
    const md = fs.readFileSync(out, 'utf8');
    expect(md).toMatch(
      /What this change does to `production`: `base` \([0-9a-f]{7}, could not be built\) → this change\./,
    );
    expect(md).toContain('> **Warning:** the base could not be built, so this report covers the head alone');
    expect(md).toContain('base app: this base does not synthesize');
    expect(md).toContain('- Alignment (dev against production): **holds**');
    expect(fs.readFileSync(comment, 'utf8')).toContain('> **Warning:** the base could not be built');
  });
});
