import type { Command } from 'commander';
import { allowingUndeclaredDivergence, loadConfig } from '../../config/loader';
import type { EnvironmentConfig, KitchensConfig } from '../../config/model';
import { kitchenEnvironment } from '../../kitchen/args';
import { findStack, loadAppModule, stackPipelines, type AppAssembly, type AppSource } from '../../kitchen/app-source';
import { kitchenNameProblem, Names } from '../../naming';
import { appOf, environmentStackName, readApp, type GlobalOptions } from '../app';
import { CliError, EXIT_FAILED, EXIT_SERVICE, EXIT_USAGE } from '../errors';
import { stackTemplate } from '../../templates';
import { Output } from '../output';

export interface AlignOptions {
  readonly from?: string;
  readonly to?: string;
  readonly kitchen?: string;
  readonly env?: string;
  readonly against?: string;
  readonly base?: string;
}

/** Templates (and artifact ids) of stacks of the app's assembly, read with aws-cdk-lib's cloud assembly reader. */
function assemblyTemplates(
  app: AppAssembly,
  stackNames: readonly string[],
): Record<string, { template: import('../../align').Template; artifactId: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- aws-cdk-lib loads only when templates are read
  const { CloudAssembly } = require('aws-cdk-lib/cx-api') as typeof import('aws-cdk-lib/cx-api');
  const assembly = new CloudAssembly(app.assembly.cloudAssembly.directory!, {
    skipVersionCheck: true,
    skipEnumCheck: true,
  });
  const out: Record<string, { template: import('../../align').Template; artifactId: string }> = {};
  for (const name of stackNames) {
    const artifact = assembly.stacksRecursively.find((s) => s.stackName === name)!;
    out[name] = { template: stackTemplate<import('../../align').Template>(artifact), artifactId: artifact.id };
  }
  return out;
}

/** The templates, asset fingerprints and construct paths of environments' stacks in the app's cloud assembly. */
export function assemblyEnvironments(
  app: AppAssembly,
  config: KitchensConfig,
  environments: readonly EnvironmentConfig[],
): {
  templates: Record<string, import('../../align').Template>;
  assets: Record<string, Map<string, string>>;
  paths: Record<string, Map<string, string>>;
} {
  /* eslint-disable @typescript-eslint/no-require-imports -- aws-cdk-lib loads only when a command reads templates */
  const { CloudAssembly } = require('aws-cdk-lib/cx-api') as typeof import('aws-cdk-lib/cx-api');
  const { assetFingerprints, constructPaths } = require('../../align') as typeof import('../../align');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const directory = app.assembly.cloudAssembly.directory!;
  const assembly = new CloudAssembly(directory, { skipVersionCheck: true, skipEnumCheck: true });
  const names = environments.map((env) => findStack(app, environmentStackName(config, env), `environment ${env.name}`));
  const read = assemblyTemplates(
    app,
    names.map((s) => s.stackName),
  );
  const templates: Record<string, import('../../align').Template> = {};
  const assets: Record<string, Map<string, string>> = {};
  // Construct paths from the assembly's aws:cdk:logicalId metadata: what pairs resources and scopes divergence.
  const paths: Record<string, Map<string, string>> = {};
  environments.forEach((env, i) => {
    const { template, artifactId } = read[names[i].stackName];
    templates[env.name] = template;
    assets[env.name] = assetFingerprints(assembly, artifactId);
    paths[env.name] = constructPaths(assembly, artifactId);
  });
  return { templates, assets, paths };
}

/**
 * What legitimately differs between an environment's pipelines and a Kitchen's copies, from the config alone: the
 * pipeline variables, the stack names and the state machine naming base (as lib/align/kitchen.ts pairs them from
 * the constructs when it builds the app itself).
 */
function kitchenPairsOf(config: KitchensConfig, env: EnvironmentConfig, kitchen: string): [string, string][] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the run command's module loads only here
  const { localTarget } = require('./run') as typeof import('./run');
  const environment = localTarget(config, env);
  const copy = localTarget(config, env, kitchen);
  const pairs: [string, string][] = Object.keys(environment.variables)
    .filter((k) => environment.variables[k] !== copy.variables[k])
    .map((k) => [environment.variables[k], copy.variables[k] ?? '']);
  pairs.push([environment.names.stackName, copy.names.stackName]);
  pairs.push([environment.names.stateMachineName('x').slice(0, -1), copy.names.stateMachineName('x').slice(0, -1)]);
  return pairs.sort((a, b) => b[0].length + b[1].length - (a[0].length + a[1].length));
}

/** Runs a synthesizing step; a failure to build the app is bad input (exit 2), not a service error. */
export function synthesizing<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${what}: ${e instanceof Error ? e.message : String(e)}`, EXIT_USAGE);
  }
}

function reportKitchen(result: import('../../align').KitchenAlignmentResult, output: Output): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { renderKitchenAlignmentText } = require('../../align') as typeof import('../../align');
  output.result(result, () => renderKitchenAlignmentText(result));
  if (!result.aligned) {
    throw new CliError(
      `Kitchen ${result.kitchen} is not aligned with ${result.environment}: ${result.differences.length} difference(s)`,
      EXIT_FAILED,
    );
  }
}

async function alignKitchen(
  opts: AlignOptions,
  config: KitchensConfig,
  source: AppSource,
  output: Output,
): Promise<void> {
  if (opts.from !== undefined || opts.to !== undefined) {
    throw new CliError(
      'kitchen align: --kitchen compares a Kitchen with its own environment; leave out --from and --to',
      EXIT_USAGE,
    );
  }
  const kitchen = opts.kitchen!;
  const problem = kitchenNameProblem(
    kitchen,
    config.environments.map((e) => e.name),
  );
  if (problem) throw new CliError(`--kitchen: ${problem}`, EXIT_USAGE);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const align = require('../../align') as typeof import('../../align');
  if (source.kind === 'module' || source.kind === 'buildApp') {
    const build = source.kind === 'module' ? loadAppModule(source.module) : undefined;
    output.progress(`synthesizing Kitchen ${kitchen} and its environment (cdk-nag and CDK validation off)...`);
    const result = synthesizing('kitchen align', () =>
      align.checkKitchenAlignment({ config, kitchen, context: opts.env ? { kitchenEnv: opts.env } : {}, build }),
    );
    reportKitchen(result, output);
    return;
  }
  // The app's own assembly, synthesized with the Kitchen's context: its environment's stack and the Kitchen's.
  const started = Date.now();
  const env = kitchenEnvironment(config, opts.env);
  const app = await allowingUndeclaredDivergence(() =>
    readApp(source, config, output, { kitchen, kitchenEnv: env.name }),
  );
  let result: import('../../align').KitchenAlignmentResult;
  try {
    const envStack = findStack(app, environmentStackName(config, env), `environment ${env.name}`);
    const kitchenStack = findStack(
      app,
      environmentStackName(config, env, kitchen),
      `Kitchen ${kitchen}`,
      source.kind === 'assembly' ? `; synthesize it with -c kitchen=${kitchen}` : '',
    );
    const templates = assemblyTemplates(app, [envStack.stackName, kitchenStack.stackName]);
    const names = (k?: string) =>
      new Names({ project: config.project, environment: env.name, account: env.account, kitchen: k });
    const compared = align.compareKitchenPipelines(
      templates[envStack.stackName].template,
      templates[kitchenStack.stackName].template,
      { environment: names(), kitchen: names(kitchen) },
      {
        pairs: kitchenPairsOf(config, env, kitchen),
        models: {
          environment: stackPipelines(envStack).map((p) => p.definition),
          kitchen: stackPipelines(kitchenStack).map((p) => p.definition),
        },
      },
    );
    result = { ...compared, durationMs: Date.now() - started };
  } finally {
    await app.dispose();
  }
  reportKitchen(result, output);
}

export interface AgainstOptions {
  /** The child Kitchen (`--kitchen`). */
  readonly kitchen?: string;
  /** The parent Kitchen (`--against`). */
  readonly against: string;
  /** `deployed` (the default) or a git ref. */
  readonly base?: string;
  readonly env?: string;
  readonly from?: string;
  readonly to?: string;
}

/**
 * A child Kitchen (synthesized from the checkout) against its parent Kitchen (deployed, or synthesized at a git ref):
 * what `kitchen align --kitchen CHILD --against PARENT` and `promote-report --kitchen CHILD --against PARENT` report.
 * Every template of both sides is read here (the parent through lib/align/base.ts, the child from the app's cloud
 * assembly). Exit 2 on bad arguments (before anything is read), 1 when the parent cannot be compared as asked (not
 * deployed, its ref cannot be built), 3 when reading the deployed stack fails.
 */
export async function kitchenAgainstParent(
  command: string,
  opts: AgainstOptions,
  config: KitchensConfig,
  source: AppSource,
  output: Output,
): Promise<import('../../align').ParentComparison> {
  if (opts.kitchen === undefined) {
    throw new CliError(
      `${command}: --against PARENT goes with --kitchen CHILD (the child Kitchen to compare)`,
      EXIT_USAGE,
    );
  }
  if (opts.from !== undefined || opts.to !== undefined) {
    throw new CliError(
      `${command}: --against compares a child Kitchen with its parent Kitchen; leave out --from and --to`,
      EXIT_USAGE,
    );
  }
  const envNames = config.environments.map((e) => e.name);
  const child = opts.kitchen;
  const parent = opts.against;
  const childProblem = kitchenNameProblem(child, envNames);
  if (childProblem) throw new CliError(`--kitchen: ${childProblem}`, EXIT_USAGE);
  const parentProblem = kitchenNameProblem(parent, envNames);
  if (parentProblem) {
    const hint = envNames.includes(parent)
      ? ` (${parent} is an environment: compare a Kitchen with its environment with \`kitchen align --kitchen ${child}\`)`
      : '';
    throw new CliError(`--against: ${parentProblem}${hint}`, EXIT_USAGE);
  }
  if (parent === child) {
    throw new CliError(`--against: a Kitchen is not its own parent, got ${JSON.stringify(parent)} twice`, EXIT_USAGE);
  }
  const baseRef = opts.base ?? 'deployed';
  if (baseRef.trim() === '') {
    throw new CliError('--base: give a git ref such as origin/integration, or "deployed"', EXIT_USAGE);
  }
  const env = kitchenEnvironment(config, opts.env);
  /* eslint-disable @typescript-eslint/no-require-imports -- aws-cdk-lib loads only when templates are read */
  const align = require('../../align') as typeof import('../../align');
  const base = require('../../align/base') as typeof import('../../align/base');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const parentStack = base.stackNameOf(config, env, parent);
  // the parent first: a ref that does not resolve, or a parent that is not deployed, is found before any synthesis
  let parentSide: import('../../align').KitchenSide;
  if (baseRef === 'deployed') {
    output.progress(`reading the deployed template of ${parentStack}...`);
    const reader = base.cloudFormationReader(env.region);
    const failed = (e: unknown) =>
      new CliError(
        `${command}: reading the deployed stack ${parentStack} failed: ${e instanceof Error ? e.message : String(e)}`,
        EXIT_SERVICE,
      );
    let body: string | undefined;
    try {
      body = await reader.getTemplate(parentStack);
    } catch (e) {
      throw failed(e);
    }
    if (body === undefined) {
      throw new CliError(
        `${command}: Kitchen ${parent} is not deployed in ${env.name} (no stack ${parentStack}); create it, or ` +
          `compare with its branch: --base REF`,
        EXIT_FAILED,
      );
    }
    // its pipelines' nested stacks and stored definitions folded in, as the child's synthesized template is
    let deployed: import('../../align').PromotionSide;
    try {
      deployed = await base.deployedSide(
        { ...reader, getTemplate: async (stack) => (stack === parentStack ? body : reader.getTemplate(stack)) },
        parentStack,
        { account: env.account, region: env.region },
      );
    } catch (e) {
      throw failed(e);
    }
    parentSide = { label: deployed.label, template: deployed.template };
  } else {
    let resolved: import('../../align/base').ResolvedRef;
    try {
      resolved = base.resolveBaseRef(baseRef, config.file);
    } catch (e) {
      throw new CliError(e instanceof Error ? e.message : String(e), EXIT_USAGE);
    }
    output.progress(`synthesizing Kitchen ${parent} at ${baseRef} in a temporary worktree...`);
    try {
      const built = base.synthesizeAtRef(baseRef, { config, environment: env, resolved, kitchen: parent });
      parentSide = {
        label: built.label,
        template: built.template,
        ...(built.pipelines ? { pipelines: built.pipelines } : {}),
      };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof base.BaseBuildError) {
        throw new CliError(`${command}: Kitchen ${parent} cannot be compared at ${baseRef}: ${message}`, EXIT_FAILED);
      }
      throw new CliError(message, EXIT_USAGE);
    }
  }
  const context = { kitchenEnv: env.name, kitchenParent: parent };
  let childSide: import('../../align').KitchenSide;
  if (source.kind === 'module' || source.kind === 'buildApp') {
    const build = source.kind === 'module' ? loadAppModule(source.module) : undefined;
    output.progress(`synthesizing Kitchen ${child} (cdk-nag and CDK validation off)...`);
    childSide = synthesizing(command, () =>
      align.synthesizeKitchenSide({ config, kitchen: child, context, build, label: 'this checkout' }),
    );
  } else {
    const app = await allowingUndeclaredDivergence(() =>
      readApp(source, config, output, { kitchen: child, ...context }),
    );
    try {
      const stack = findStack(
        app,
        environmentStackName(config, env, child),
        `Kitchen ${child}`,
        source.kind === 'assembly' ? `; synthesize it with -c kitchen=${child} -c kitchenParent=${parent}` : '',
      );
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { CloudAssembly } = require('aws-cdk-lib/cx-api') as typeof import('aws-cdk-lib/cx-api');
      const assembly = new CloudAssembly(app.assembly.cloudAssembly.directory!, {
        skipVersionCheck: true,
        skipEnumCheck: true,
      });
      const { template, artifactId } = assemblyTemplates(app, [stack.stackName])[stack.stackName];
      const pipelines = stackPipelines(stack).map((p) => p.definition);
      childSide = {
        label: 'this checkout',
        template,
        paths: align.constructPaths(assembly, artifactId),
        assets: align.assetFingerprints(assembly, artifactId),
        ...(pipelines.length > 0 ? { pipelines } : {}),
      };
    } finally {
      await app.dispose();
    }
  }
  return align.compareWithParent({ config, environment: env, child, parent, childSide, parentSide });
}

/**
 * `kitchen align [--from ENV] [--to ENV]`: exit 0 aligned, 1 undeclared drift, 2 error. The app is the global
 * `--app` (a command, a cloud assembly directory, or a module exporting buildApp), else cdk.json's.
 */
export function register(program: Command): void {
  program
    .command('align')
    .description(
      'check that development and production differ only in identity and declared divergence (exit 1 on drift)',
    )
    .option('--from <environment>', 'environment to check (default: the development environment that hosts Kitchens)')
    .option('--to <environment>', 'environment to compare with (default: the production environment)')
    .option('--kitchen <name>', "check a Kitchen's pipeline copies against its environment's pipelines instead")
    .option('--env <environment>', 'with --kitchen: the development environment of the Kitchen')
    .option(
      '--against <parent>',
      'with --kitchen: report what the Kitchen changes against its parent Kitchen (differences exit 0)',
    )
    .option('--base <ref>', 'with --against: the parent as "deployed" (default) or as built from this git ref')
    .action(async (opts: AlignOptions) => {
      const global = program.opts<GlobalOptions>();
      const output = new Output(global);
      // a development field that differs from production undeclared is drift to report (exit 1), not bad input
      const config = loadConfig(global.config, { undeclaredDivergence: 'allow' });
      const source = appOf(program, { modules: true });
      if (opts.against !== undefined) {
        const result = await kitchenAgainstParent(
          'kitchen align',
          { ...opts, against: opts.against },
          config,
          source,
          output,
        );
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { renderParentComparisonText } = require('../../align') as typeof import('../../align');
        output.result(result, () => renderParentComparisonText(result));
        return;
      }
      if (opts.base !== undefined) {
        throw new CliError('kitchen align: --base goes with --kitchen CHILD --against PARENT', EXIT_USAGE);
      }
      if (opts.kitchen !== undefined) {
        await alignKitchen(opts, config, source, output);
        return;
      }
      if (opts.env !== undefined) {
        throw new CliError(
          'kitchen align: --env goes with --kitchen NAME; compare environments with --from and --to',
          EXIT_USAGE,
        );
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const align = require('../../align') as typeof import('../../align');
      let result: import('../../align').AlignmentResult;
      if (source.kind === 'module' || source.kind === 'buildApp') {
        const build = source.kind === 'module' ? loadAppModule(source.module) : undefined;
        output.progress('synthesizing both environments (cdk-nag and CDK validation off)...');
        result = synthesizing('kitchen align', () =>
          align.checkAlignment({ config, from: opts.from, to: opts.to, build }),
        );
      } else {
        const started = Date.now();
        const { from, to } = synthesizing('kitchen align', () => align.resolveEnvironments(config, opts.from, opts.to));
        const app = await allowingUndeclaredDivergence(() => readApp(source, config, output));
        try {
          const synthesized = assemblyEnvironments(app, config, [from, to]);
          result = { ...align.compareEnvironments(config, from, to, synthesized), durationMs: Date.now() - started };
        } finally {
          await app.dispose();
        }
      }
      output.result(result, () => align.renderAlignmentText(result));
      if (!result.aligned) {
        throw new CliError(
          `${result.from} and ${result.to} are not aligned: ${result.counts.drift} undeclared difference(s)`,
          EXIT_FAILED,
        );
      }
    });
}
