/**
 * The base of a promotion report: the environment as built from a git ref (its own code, config and pipelines, in
 * a temporary worktree, synthesized by its own CDK app the way the toolkit runs it), or as deployed (CloudFormation
 * GetTemplate).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { loadPipelines } from '../app';
import { loadConfig } from '../config/loader';
import type { EnvironmentConfig, KitchensConfig } from '../config/model';
import { Names } from '../naming';
import type { Template } from './normalize';
import type { PromotionSide } from './promote';

/** Bad input for the base (an unknown ref, a ref without the config file): exit 2 at the CLI. */
export class BaseInputError extends Error {}

export function stackNameOf(config: KitchensConfig, env: EnvironmentConfig): string {
  return new Names({ project: config.project, environment: env.name, account: env.account }).stackName;
}

function git(cwd: string, args: readonly string[]): string {
  return execFileSync('git', args as string[], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export interface RefBaseOptions {
  /** The head's config: its file locates the repository and, relative to the repository, the base's config. */
  readonly config: KitchensConfig;
  readonly environment: EnvironmentConfig;
  /** @default 600000 */
  readonly timeoutMs?: number;
}

/**
 * Checks out `ref` in a temporary worktree, synthesizes it with its own `cdk.json` app (CDK_OUTDIR and
 * CDK_CONTEXT_JSON, as the toolkit does; CDK validation off) and reads the environment's stack. The worktree is
 * removed afterwards, also on failure.
 */
export function synthesizeAtRef(ref: string, options: RefBaseOptions): PromotionSide {
  const configDir = path.dirname(options.config.file);
  let root: string;
  try {
    root = git(configDir, ['rev-parse', '--show-toplevel']);
  } catch {
    throw new BaseInputError(`--base ${ref}: ${configDir} is not inside a git repository`);
  }
  let commit: string;
  try {
    commit = git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new BaseInputError(`--base ${ref}: not a commit in ${root} (give a branch, tag or commit, or "deployed")`);
  }
  const relativeConfig = path.relative(root, options.config.file);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchen-base-'));
  const tree = path.join(work, 'tree');
  const outdir = path.join(work, 'cdk.out');
  git(root, ['worktree', 'add', '--detach', '--quiet', tree, commit]);
  try {
    if (!fs.existsSync(path.join(tree, 'node_modules')) && fs.existsSync(path.join(root, 'node_modules'))) {
      fs.symlinkSync(path.join(root, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
    }
    const baseConfigFile = path.join(tree, relativeConfig);
    if (!fs.existsSync(baseConfigFile)) {
      throw new BaseInputError(`--base ${ref}: ${relativeConfig} does not exist at ${commit.slice(0, 7)}`);
    }
    const cdkJson = path.join(tree, 'cdk.json');
    const app = fs.existsSync(cdkJson)
      ? (JSON.parse(fs.readFileSync(cdkJson, 'utf8')) as { app?: string }).app
      : undefined;
    if (!app)
      throw new BaseInputError(`--base ${ref}: cdk.json with an "app" command not found at ${commit.slice(0, 7)}`);
    // an app that runs compiled output (`node dist/bin/app.js`) needs the ref's own build first
    const pkgFile = path.join(tree, 'package.json');
    const pkg = fs.existsSync(pkgFile)
      ? (JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { scripts?: Record<string, string> })
      : {};
    if (pkg.scripts?.build) {
      const built = spawnSync('npm', ['run', '--silent', 'build'], {
        cwd: tree,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 600_000,
      });
      if (built.status !== 0) {
        const tail = `${built.stdout ?? ''}${built.stderr ?? ''}`.trim().split('\n').slice(-5).join('\n');
        throw new BaseInputError(`--base ${ref}: the build at ${commit.slice(0, 7)} failed:\n${tail}`);
      }
    }
    const run = spawnSync(app, {
      cwd: tree,
      shell: true,
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 600_000,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ config: relativeConfig }),
        CDK_VALIDATION: 'false',
      },
    });
    if (run.status !== 0) {
      const tail = `${run.stderr ?? ''}${run.error ? String(run.error) : ''}`.trim().split('\n').slice(-5).join('\n');
      throw new BaseInputError(`--base ${ref}: the app at ${commit.slice(0, 7)} failed to synthesize:\n${tail}`);
    }
    const stackName = stackNameOf(options.config, options.environment);
    const template = readStackTemplate(outdir, stackName);
    if (!template) {
      throw new BaseInputError(`--base ${ref}: the app at ${commit.slice(0, 7)} has no stack ${stackName}`);
    }
    let pipelines: PromotionSide['pipelines'];
    try {
      pipelines = loadPipelines(loadConfig(baseConfigFile));
    } catch {
      // an older config or pipeline format: pipelines are then compared by state machine only
      pipelines = undefined;
    }
    return { label: `\`${ref}\` (${commit.slice(0, 7)})`, template, ...(pipelines ? { pipelines } : {}) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    try {
      git(root, ['worktree', 'prune']);
    } catch {
      // pruning is housekeeping; a stale entry is removed by the next prune
    }
  }
}

/** The template of a stack in a cloud assembly directory, by stack name. */
export function readStackTemplate(outdir: string, stackName: string): Template | undefined {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type?: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    if ((artifact.properties?.stackName ?? id) !== stackName || !artifact.properties?.templateFile) continue;
    return JSON.parse(fs.readFileSync(path.join(outdir, artifact.properties.templateFile), 'utf8')) as Template;
  }
  return undefined;
}

/** What a CloudFormation client must do for `deployedSide` (tests pass one pointed at moto). */
export interface TemplateReader {
  /** The original template body, or undefined when the stack does not exist. */
  getTemplate(stackName: string): Promise<string | undefined>;
}

/** The deployed stack of an environment; a stack that does not exist is an empty base (everything is added). */
export async function deployedSide(reader: TemplateReader, stackName: string): Promise<PromotionSide> {
  const body = await reader.getTemplate(stackName);
  if (body === undefined) return { label: `deployed (${stackName} does not exist)`, template: { Resources: {} } };
  const trimmed = body.trimStart();
  const template = (trimmed.startsWith('{') ? JSON.parse(trimmed) : parse(trimmed)) as Template;
  return { label: `deployed \`${stackName}\``, template };
}

/** A TemplateReader over the AWS SDK (region from the environment; AWS_ENDPOINT_URL honoured by the SDK). */
export function cloudFormationReader(region: string): TemplateReader {
  return {
    async getTemplate(stackName) {
      const { CloudFormationClient, GetTemplateCommand } = await import('@aws-sdk/client-cloudformation');
      const client = new CloudFormationClient({ region });
      try {
        const out = await client.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }));
        return out.TemplateBody ?? '';
      } catch (e) {
        if (e instanceof Error && /does not exist/.test(e.message)) return undefined;
        throw e;
      } finally {
        client.destroy();
      }
    },
  };
}
