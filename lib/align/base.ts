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
import { readAssemblyTemplate, readDeployedTemplate, type DeployedPlace, type DeployedStacks } from '../templates';
import type { PromotionSide } from './promote';
import type { PipelineDefinition } from '../pipeline/model';
import { PIPELINE_METADATA } from '../kitchen/app-source';

/** Bad input for the base (an unknown ref, a ref without the config file): exit 2 at the CLI. */
export class BaseInputError extends Error {}

export function stackNameOf(config: KitchensConfig, env: EnvironmentConfig, kitchen?: string): string {
  return new Names({ project: config.project, environment: env.name, account: env.account, kitchen }).stackName;
}

function git(cwd: string, args: readonly string[]): string {
  return execFileSync('git', args as string[], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * The base exists but cannot be built (its config is missing or invalid, its build or synth fails, it has no stack
 * for the environment): the report still covers the head, and says why (a distinct exit status at the CLI).
 */
export class BaseBuildError extends Error {}

export interface RefBaseOptions {
  /** The head's config: its file locates the repository and, relative to the repository, the base's config. */
  readonly config: KitchensConfig;
  readonly environment: EnvironmentConfig;
  /** @default 600000 */
  readonly timeoutMs?: number;
  /** The ref, resolved already by {@link resolveBaseRef}. @default - resolved here */
  readonly resolved?: ResolvedRef;
  /**
   * A Kitchen of the environment to read instead of the environment's stack (`kitchen align --against PARENT
   * --base REF`): the app is synthesized with the Kitchen's context, and its stack and pipelines are read.
   * @default - the environment's stack
   */
  readonly kitchen?: string;
}

export interface ResolvedRef {
  readonly ref: string;
  /** The repository's top directory. */
  readonly root: string;
  readonly commit: string;
}

/**
 * Resolves `--base REF` to a commit of the repository holding the config, before anything is synthesized. In a
 * shallow clone, a ref that is missing is most likely not fetched: the error says what to fetch.
 */
export function resolveBaseRef(ref: string, configFile: string): ResolvedRef {
  const configDir = path.dirname(configFile);
  let root: string;
  try {
    root = git(configDir, ['rev-parse', '--show-toplevel']);
  } catch {
    throw new BaseInputError(`--base ${ref}: ${configDir} is not inside a git repository`);
  }
  try {
    return { ref, root, commit: git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]) };
  } catch {
    throw new BaseInputError(
      `--base ${ref}: not a commit in ${root} (give a branch, tag or commit, or "deployed")${shallowHint(root, ref)}`,
    );
  }
}

/** What to fetch when the repository is a shallow clone (as `actions/checkout` makes by default). */
function shallowHint(root: string, ref: string): string {
  let shallow = false;
  try {
    shallow = git(root, ['rev-parse', '--is-shallow-repository']) === 'true';
  } catch {
    return '';
  }
  if (!shallow) return '';
  const remote = /^([A-Za-z0-9._-]+)\/(.+)$/.exec(ref);
  const fetch = remote
    ? `git fetch --no-tags --depth=1 ${remote[1]} ${remote[2]}:refs/remotes/${remote[1]}/${remote[2]}`
    : `git fetch --no-tags --depth=1 origin ${ref}`;
  return (
    `. This is a shallow clone, which holds only the commits it was fetched with: fetch the base first ` +
    `(\`${fetch}\`), or clone with its history (actions/checkout with fetch-depth: 0)`
  );
}

/**
 * Checks out `ref` in a temporary worktree, installs its own dependencies when its lock file differs from the
 * checkout's (`npm ci`; otherwise the checkout's node_modules are linked), builds it when it has a build script,
 * synthesizes it with its own `cdk.json` app (CDK_OUTDIR and CDK_CONTEXT_JSON, as the toolkit does; CDK validation
 * off) and reads the environment's stack. The worktree is removed afterwards, also on failure. A ref that does not
 * resolve is a {@link BaseInputError}; a base that cannot be built, a {@link BaseBuildError}.
 */
export function synthesizeAtRef(ref: string, options: RefBaseOptions): PromotionSide {
  const { root, commit } = options.resolved ?? resolveBaseRef(ref, options.config.file);
  const short = commit.slice(0, 7);
  const relativeConfig = path.relative(root, options.config.file);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchen-base-'));
  const tree = path.join(work, 'tree');
  const outdir = path.join(work, 'cdk.out');
  const timeout = options.timeoutMs ?? 600_000;
  const tail = (r: { stdout?: string | null; stderr?: string | null; error?: Error }) =>
    `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim().split('\n').slice(-5).join('\n');
  git(root, ['worktree', 'add', '--detach', '--quiet', tree, commit]);
  try {
    const baseConfigFile = path.join(tree, relativeConfig);
    if (!fs.existsSync(baseConfigFile)) {
      throw new BaseBuildError(`--base ${ref}: ${relativeConfig} does not exist at ${short}`);
    }
    const cdkJson = path.join(tree, 'cdk.json');
    const app = fs.existsSync(cdkJson)
      ? (JSON.parse(fs.readFileSync(cdkJson, 'utf8')) as { app?: string }).app
      : undefined;
    if (!app) throw new BaseBuildError(`--base ${ref}: cdk.json with an "app" command not found at ${short}`);
    if (ownDependencies(root, tree)) {
      const installed = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: tree, encoding: 'utf8', timeout });
      if (installed.status !== 0) {
        throw new BaseBuildError(
          `--base ${ref}: installing its dependencies (npm ci) at ${short} failed:\n${tail(installed)}`,
        );
      }
    } else if (!fs.existsSync(path.join(tree, 'node_modules')) && fs.existsSync(path.join(root, 'node_modules'))) {
      fs.symlinkSync(path.join(root, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
    }
    // an app that runs compiled output (`node dist/bin/app.js`) needs the ref's own build first
    const pkgFile = path.join(tree, 'package.json');
    const pkg = fs.existsSync(pkgFile)
      ? (JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { scripts?: Record<string, string> })
      : {};
    if (pkg.scripts?.build) {
      const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: tree, encoding: 'utf8', timeout });
      if (built.status !== 0) throw new BaseBuildError(`--base ${ref}: the build at ${short} failed:\n${tail(built)}`);
    }
    const run = spawnSync(app, {
      cwd: tree,
      shell: true,
      encoding: 'utf8',
      timeout,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({
          config: relativeConfig,
          ...(options.kitchen !== undefined ? { kitchen: options.kitchen, kitchenEnv: options.environment.name } : {}),
        }),
        CDK_VALIDATION: 'false',
      },
    });
    if (run.status !== 0) {
      throw new BaseBuildError(
        `--base ${ref}: the app at ${short} failed to synthesize:\n${tail({ ...run, stdout: '' })}`,
      );
    }
    const stackName = stackNameOf(options.config, options.environment, options.kitchen);
    const template = fs.existsSync(path.join(outdir, 'manifest.json'))
      ? readStackTemplate(outdir, stackName)
      : undefined;
    if (!template) throw new BaseBuildError(`--base ${ref}: the app at ${short} has no stack ${stackName}`);
    let pipelines: PromotionSide['pipelines'];
    if (options.kitchen !== undefined) {
      // a Kitchen's pipelines as its app compiled them (rendered with the Kitchen's names), as the head reads them
      pipelines = readStackPipelines(outdir, stackName);
    } else {
      try {
        pipelines = loadPipelines(loadConfig(baseConfigFile, { undeclaredDivergence: 'allow' }));
      } catch {
        // an older config or pipeline format: pipelines are then compared by state machine only
        pipelines = undefined;
      }
    }
    return { label: `\`${ref}\` (${short})`, template, ...(pipelines ? { pipelines } : {}) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    try {
      git(root, ['worktree', 'prune']);
    } catch {
      // pruning is housekeeping; a stale entry is removed by the next prune
    }
  }
}

/**
 * Whether the base needs its own dependencies: it has a lock file, and the checkout has none or another one (the
 * change updates dependencies) or no node_modules to share.
 */
function ownDependencies(root: string, tree: string): boolean {
  const lock = (dir: string) => {
    const file = path.join(dir, 'package-lock.json');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  };
  const base = lock(tree);
  if (base === undefined) return false;
  return base !== lock(root) || !fs.existsSync(path.join(root, 'node_modules'));
}

/** The template of a stack in a cloud assembly directory, by stack name. */
export function readStackTemplate(outdir: string, stackName: string): Template | undefined {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type?: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    if ((artifact.properties?.stackName ?? id) !== stackName || !artifact.properties?.templateFile) continue;
    return readAssemblyTemplate<Template>(outdir, artifact.properties.templateFile);
  }
  return undefined;
}

/**
 * The pipelines `buildApp` recorded on a stack's state machines (`kitchens:pipeline` metadata in the manifest), or
 * undefined when the stack has none recorded (an app that does not record them: compared by state machine only).
 */
export function readStackPipelines(outdir: string, stackName: string): PromotionSide['pipelines'] {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<
      string,
      {
        type?: string;
        properties?: { stackName?: string };
        metadata?: Record<string, { type?: string; data?: unknown }[]>;
      }
    >;
  };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || (artifact.properties?.stackName ?? id) !== stackName) continue;
    const recorded = Object.values(artifact.metadata ?? {})
      .flat()
      .filter((entry) => entry.type === PIPELINE_METADATA)
      .map((entry) => (entry.data as { definition: PipelineDefinition }).definition);
    return recorded.length > 0 ? recorded : undefined;
  }
  return undefined;
}

/**
 * What a CloudFormation (and S3) client must do for `deployedSide` (tests pass their own): read a stack's template,
 * and to fold pipelines back in, list its nested stacks and read the definition objects they point to.
 */
export type TemplateReader = DeployedStacks;

/**
 * The deployed stack of an environment, its nested stacks (pipelines) and stored definitions folded in as the
 * synthesized side is (lib/templates.ts); a stack that does not exist is an empty base (everything is added).
 */
export async function deployedSide(
  reader: TemplateReader,
  stackName: string,
  place: DeployedPlace,
): Promise<PromotionSide> {
  const parseBody = (body: string): Template => {
    const trimmed = body.trimStart();
    return (trimmed.startsWith('{') ? JSON.parse(trimmed) : parse(trimmed)) as Template;
  };
  const template = await readDeployedTemplate(reader, stackName, place, parseBody);
  if (template === undefined) return { label: `deployed (${stackName} does not exist)`, template: { Resources: {} } };
  return { label: `deployed \`${stackName}\``, template: template as Template };
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
    async nestedStacks(stackName) {
      const { CloudFormationClient, paginateListStackResources } = await import('@aws-sdk/client-cloudformation');
      const client = new CloudFormationClient({ region });
      const out: Record<string, string> = {};
      try {
        for await (const page of paginateListStackResources({ client }, { StackName: stackName })) {
          for (const r of page.StackResourceSummaries ?? []) {
            if (r.ResourceType === 'AWS::CloudFormation::Stack' && r.LogicalResourceId && r.PhysicalResourceId) {
              out[r.LogicalResourceId] = r.PhysicalResourceId;
            }
          }
        }
        return out;
      } finally {
        client.destroy();
      }
    },
    async getObject(bucket, key) {
      const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
      const client = new S3Client({ region });
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await out.Body?.transformToString('utf8');
      } catch (e) {
        if (e instanceof Error && (e.name === 'NoSuchKey' || e.name === 'NoSuchBucket')) return undefined;
        throw e;
      } finally {
        client.destroy();
      }
    },
  };
}
