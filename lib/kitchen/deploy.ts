/**
 * `kitchen create` / `kitchen delete`: synthesize the app with the Kitchen's CDK context (the same keys a plain
 * `cdk deploy -c kitchen=NAME` reads) and deploy or destroy only the Kitchen stack, through the CDK Toolkit
 * Library. aws-cdk-lib and the toolkit load lazily, inside these functions.
 */
import { keptOptions, mergeKeptOptions } from './kept-options';
import * as os from 'os';
import type {
  AssemblyBuilder,
  DeployOptions,
  DeployResult,
  DestroyOptions,
  DestroyResult,
  FromAssemblyBuilderOptions,
  ICloudAssemblySource,
  SynthOptions,
} from '@aws-cdk/toolkit-lib';
import type { Stack } from '@aws-sdk/client-cloudformation';
import type { EnvironmentConfig, KitchensConfig } from '../config/model';
import { CliError, EXIT_FAILED, EXIT_SERVICE, EXIT_USAGE } from '../cli/errors';
import { OWNER_PATTERN } from '../patterns';
import {
  describeApp,
  KitchenIoHost,
  kitchenToolkit,
  synthesizeApp,
  type AppSource,
  type AssemblyStack,
  type AssemblyToolkit,
  type SynthesizedAssembly,
  type ToolkitLog,
} from './app-source';
import { sdkErrorMessage, type AwsTarget } from './aws';
import { capExpiry, isLive } from './hierarchy';
import { KITCHEN_TAGS, kitchenContext, kitchenOptions } from './options';
import {
  cloudFormationClient,
  describeKitchenStack,
  kitchenStackName,
  kitchenStatus,
  type CloudFormationLike,
} from './stacks';

export { KitchenIoHost, type AssemblyStack, type SynthesizedAssembly, type ToolkitLog };

/** The part of `@aws-cdk/toolkit-lib`'s Toolkit the Kitchen commands use; tests inject a fake. */
export interface KitchenToolkit extends AssemblyToolkit {
  fromAssemblyBuilder(builder: AssemblyBuilder, props?: FromAssemblyBuilderOptions): Promise<ICloudAssemblySource>;
  synth(cx: ICloudAssemblySource, options?: SynthOptions): Promise<SynthesizedAssembly>;
  deploy(cx: ICloudAssemblySource, options?: DeployOptions): Promise<DeployResult>;
  destroy(cx: ICloudAssemblySource, options?: DestroyOptions): Promise<DestroyResult>;
}

export interface KitchenDeps {
  /** @default - a Toolkit with KitchenIoHost, credentials from --profile / the environment */
  readonly toolkit?: KitchenToolkit;
  /** @default - a CloudFormation client for the request's AwsTarget */
  readonly cloudFormation?: CloudFormationLike;
  /** @default - discard */
  readonly log?: ToolkitLog;
  readonly now?: Date;
  /** Run the cdk-nag checks during an in-process synth, as `cdk deploy` does (a command app decides itself). @default true */
  readonly nag?: boolean;
}

interface Synthesized {
  readonly assembly: SynthesizedAssembly;
  readonly stack: AssemblyStack;
}

/**
 * Synthesizes the app with the Kitchen context, exactly as `cdk synth -c kitchen=NAME -c ...` does, and finds the
 * Kitchen stack in it. The user's app (a command) builds every stack it has; this package's own `buildApp`, in
 * process, builds only the Kitchen stack: it reads its environment's identifiers from SSM at deploy time, so it needs
 * no environment stack in the assembly (and their warnings are not the Kitchen's).
 */
async function synthesizeKitchen(
  toolkit: KitchenToolkit,
  ioHost: KitchenIoHost | undefined,
  config: KitchensConfig,
  stackName: string,
  context: Readonly<Record<string, string>>,
  options: { readonly app?: AppSource; readonly lookups: boolean; readonly nag: boolean; readonly now: Date },
): Promise<Synthesized> {
  const { assembly, source } = await synthesizeApp(
    {
      source: options.app,
      config,
      passConfig: true,
      context,
      lookups: options.lookups,
      nag: options.nag,
      environments: [],
      now: options.now,
    },
    toolkit,
    ioHost,
  );
  const stack = assembly.cloudAssembly.stacksRecursively.find((s) => s.stackName === stackName);
  if (!stack) {
    await assembly.dispose();
    const names = assembly.cloudAssembly.stacksRecursively.map((s) => s.stackName).join(', ');
    throw new CliError(
      `${describeApp(source)} built no Kitchen stack named ${stackName} (it built: ${names || 'nothing'}); ` +
        (source.kind === 'assembly'
          ? `synthesize it with the Kitchen's context (cdk synth -c kitchen=NAME ...), or give --app a command`
          : 'check that the app calls buildApp(config, options, app), which builds a Kitchen when the "kitchen" context is set'),
      EXIT_USAGE,
    );
  }
  return { assembly, stack };
}

async function selectOnly(hierarchicalId: string): Promise<NonNullable<DeployOptions['stacks']>> {
  const { ExpandStackSelection, StackSelectionStrategy } = await import('@aws-cdk/toolkit-lib');
  // Only the Kitchen stack: never the environment stacks it may depend on.
  return {
    strategy: StackSelectionStrategy.PATTERN_MUST_MATCH_SINGLE,
    patterns: [hierarchicalId],
    expand: ExpandStackSelection.NONE,
  };
}

export interface CreateKitchenRequest {
  readonly config: KitchensConfig;
  readonly environment: EnvironmentConfig;
  readonly name: string;
  /** @default - kept from an existing Kitchen, else $USER */
  readonly owner?: string;
  /** @default - kept from an existing Kitchen, else the environment */
  readonly parent?: string;
  readonly staff?: readonly string[];
  /** @default - an existing Kitchen keeps its expiry while it lies ahead; otherwise kitchens.defaultTtlHours */
  readonly expires?: string;
  readonly sshPublicKey?: string;
  readonly slackChannelId?: string;
  readonly aws: AwsTarget;
  /** Synthesize only: no AWS call at all. */
  readonly dryRun?: boolean;
  /** The app that builds the Kitchen stack (`cdk.json`, `--app`). @default - `buildApp` of the config, in process */
  readonly app?: AppSource;
}

export interface CreateKitchenResult {
  readonly name: string;
  readonly environment: string;
  readonly stackName: string;
  /** `synthesized` for a dry run. */
  readonly action: 'created' | 'updated' | 'synthesized';
  readonly resourceCount: number;
  readonly owner: string;
  readonly parent: string;
  readonly expires: string;
  /** The CDK context the stack was synthesized with (`cdk deploy -c KEY=VALUE` gives the same stack). */
  readonly context: Readonly<Record<string, string>>;
  readonly stackArn?: string;
  readonly outputs: Readonly<Record<string, string>>;
}

function tag(stack: Stack | undefined, key: string): string | undefined {
  return stack?.Tags?.find((t) => t.Key === key)?.Value;
}

function defaultOwner(): string {
  const user = process.env.USER ?? os.userInfo().username;
  if (!OWNER_PATTERN.test(user)) {
    throw new CliError(
      `--owner is needed: the user name ${JSON.stringify(user)} is not a valid owner (1-64 letters, digits or "_.@+-")`,
      EXIT_USAGE,
    );
  }
  return user;
}

/**
 * A child Kitchen never outlives its parent Kitchen: the expiry is cut to the parent's `kitchens:expires` tag, with a
 * warning. A parent given with `--from` that does not exist (or is being deleted) or has expired is an error; a
 * parent only recorded on an existing Kitchen that is gone leaves the expiry as it is, with a warning. A dry run
 * reads no AWS, so it cannot cap and says so. A parent that is an environment caps nothing.
 */
async function capAtParent(
  request: CreateKitchenRequest,
  parent: string,
  expires: string,
  cloudFormation: CloudFormationLike | undefined,
  log: ToolkitLog,
  now: Date,
): Promise<string> {
  const { config, environment, name, aws } = request;
  if (config.environments.some((e) => e.name === parent)) return expires;
  if (request.dryRun || cloudFormation === undefined) {
    log(
      'warn',
      `dry run: the expiry of the parent Kitchen ${parent} is not read (no AWS call), so Kitchen ${name} keeps ` +
        `the expiry ${expires} even if its parent expires sooner; a real create caps it at the parent's`,
    );
    return expires;
  }
  const parentStack = kitchenStackName(config, environment, parent);
  let found;
  try {
    found = await kitchenStatus({ config, environment, name: parent, cloudFormation, now });
  } catch (e) {
    throw new CliError(
      `could not read the parent Kitchen ${parent} (stack ${parentStack} in ${aws.region}): ${sdkErrorMessage(e)}`,
      EXIT_SERVICE,
    );
  }
  if (found === undefined || !isLive(found)) {
    const missing =
      `the parent Kitchen ${parent} does not exist in environment ${environment.name} ` +
      (found === undefined
        ? `(no stack ${parentStack} in ${aws.region})`
        : `(stack ${parentStack} is ${found.status})`);
    if (request.parent === undefined) {
      log('warn', `${missing}: Kitchen ${name}'s expiry ${expires} is not capped at it`);
      return expires;
    }
    throw new CliError(
      `${missing}: create it first, or give --from an environment (${config.environments.map((e) => e.name).join(', ')})`,
      EXIT_FAILED,
    );
  }
  if (found.expired) {
    throw new CliError(
      `the parent Kitchen ${parent} expired at ${found.expires}: a child Kitchen never outlives its parent; ` +
        `give the parent a later expiry (kitchen create ${parent} --ttl ...) first`,
      EXIT_FAILED,
    );
  }
  const capped = capExpiry(name, expires, found);
  if (capped.note !== undefined) log('warn', capped.note);
  return capped.expires;
}

/**
 * Deploys (creates or updates) the Kitchen stack. Re-running it on an existing Kitchen updates it and keeps the
 * owner, parent and expiry recorded in the stack's tags unless new ones are given.
 */
export async function createKitchen(
  request: CreateKitchenRequest,
  deps: KitchenDeps = {},
): Promise<CreateKitchenResult> {
  const { config, environment, name, aws } = request;
  const log = deps.log ?? (() => undefined);
  const now = deps.now ?? new Date();
  const stackName = kitchenStackName(config, environment, name);

  let existing: Stack | undefined;
  let cloudFormation: CloudFormationLike | undefined;
  if (!request.dryRun) {
    cloudFormation = deps.cloudFormation ?? (await cloudFormationClient(aws));
    try {
      existing = await describeKitchenStack(cloudFormation, stackName);
    } catch (e) {
      throw new CliError(`could not read stack ${stackName} in ${aws.region}: ${sdkErrorMessage(e)}`, EXIT_SERVICE);
    }
    if (existing && /^(DELETE_IN_PROGRESS|DELETE_FAILED)$/.test(existing.StackStatus ?? '')) {
      throw new CliError(
        `Kitchen ${name} is being deleted (stack ${stackName} is ${existing.StackStatus}); wait for the deletion or run kitchen delete ${name} again`,
        EXIT_SERVICE,
      );
    }
  }
  const keptExpiry = tag(existing, KITCHEN_TAGS.expires);
  const expires =
    request.expires ?? (keptExpiry !== undefined && Date.parse(keptExpiry) > now.getTime() ? keptExpiry : undefined);
  // Staff, SSH key and Slack channel: as given, else as the deployed Kitchen recorded them (a dry run reads nothing).
  const kept = mergeKeptOptions(request, keptOptions(existing));
  const context = kitchenContext({
    name,
    environment: environment.name,
    owner: request.owner ?? tag(existing, KITCHEN_TAGS.owner) ?? defaultOwner(),
    parent: request.parent ?? tag(existing, KITCHEN_TAGS.parent),
    staff: kept.staff,
    expires,
    sshPublicKey: kept.sshPublicKey,
    slackChannelId: kept.slackChannelId,
  });
  // The same validation the app runs, before the toolkit loads: errors name the context key and value.
  const options = kitchenOptions(config, context, now);
  const expiresCapped = await capAtParent(request, options.parent, options.expires, cloudFormation, log, now);
  const resolved = kitchenContext({
    name: options.name,
    environment: options.environment.name,
    owner: options.owner,
    parent: options.parent,
    staff: options.staff,
    expires: expiresCapped,
    sshPublicKey: options.sshPublicKey,
    slackChannelId: options.slackChannelId,
  });

  const ioHost = deps.toolkit ? undefined : new KitchenIoHost(log);
  const toolkit = deps.toolkit ?? (await kitchenToolkit(ioHost!, request.dryRun ? undefined : aws));
  log('info', `Synthesizing Kitchen ${name} (stack ${stackName})`);
  const { assembly, stack } = await synthesizeKitchen(toolkit, ioHost, config, stackName, resolved, {
    app: request.app,
    lookups: !request.dryRun,
    nag: deps.nag ?? true,
    now,
  });
  try {
    const base = {
      name,
      environment: environment.name,
      stackName,
      resourceCount: Object.keys(stack.template.Resources ?? {}).length,
      owner: options.owner,
      parent: options.parent,
      expires: expiresCapped,
      context: resolved,
    };
    if (request.dryRun) {
      return { ...base, action: 'synthesized', outputs: {} };
    }
    log(
      'info',
      `${existing ? 'Updating' : 'Creating'} Kitchen ${name} in ${environment.account}/${environment.region}`,
    );
    let result: DeployResult;
    try {
      result = await toolkit.deploy(assembly, { stacks: await selectOnly(stack.hierarchicalId) });
    } catch (e) {
      throw new CliError(`deploying Kitchen ${name} (stack ${stackName}) failed: ${sdkErrorMessage(e)}`, EXIT_SERVICE);
    }
    const deployed = result.stacks.find((s) => s.stackName === stackName);
    return {
      ...base,
      action: existing ? 'updated' : 'created',
      stackArn: deployed?.stackArn,
      outputs: deployed?.outputs ?? {},
    };
  } finally {
    await assembly.dispose();
  }
}

export interface DeleteKitchenRequest {
  readonly config: KitchensConfig;
  readonly environment: EnvironmentConfig;
  readonly name: string;
  readonly aws: AwsTarget;
  /** The app that builds the Kitchen stack (`cdk.json`, `--app`). @default - `buildApp` of the config, in process */
  readonly app?: AppSource;
  /** Asked once the Kitchen is known to exist; deletion goes ahead only on true. @default - no question */
  readonly confirm?: (stackName: string) => Promise<boolean>;
}

export interface DeleteKitchenResult {
  readonly name: string;
  readonly environment: string;
  readonly stackName: string;
  /** False when there was nothing to delete, or the confirmation was declined. */
  readonly deleted: boolean;
  readonly existed: boolean;
  readonly note?: string;
}

/** Destroys the Kitchen stack (its buckets' objects, schema, user and secrets go with it). Idempotent. */
export async function deleteKitchen(
  request: DeleteKitchenRequest,
  deps: KitchenDeps = {},
): Promise<DeleteKitchenResult> {
  const { config, environment, name, aws } = request;
  const log = deps.log ?? (() => undefined);
  const stackName = kitchenStackName(config, environment, name);
  const base = { name, environment: environment.name, stackName };
  const cloudFormation = deps.cloudFormation ?? (await cloudFormationClient(aws));
  let existing: Stack | undefined;
  try {
    existing = await describeKitchenStack(cloudFormation, stackName);
  } catch (e) {
    throw new CliError(`could not read stack ${stackName} in ${aws.region}: ${sdkErrorMessage(e)}`, EXIT_SERVICE);
  }
  if (!existing) {
    return {
      ...base,
      deleted: false,
      existed: false,
      note: `Kitchen ${name} does not exist (no stack ${stackName} in ${aws.region}): nothing to delete`,
    };
  }
  if (request.confirm && !(await request.confirm(stackName))) {
    return { ...base, deleted: false, existed: true, note: `kept Kitchen ${name}: not confirmed` };
  }
  // Only the name and environment decide which stack is destroyed; the other context keys take their defaults.
  const owner = tag(existing, KITCHEN_TAGS.owner);
  const context = kitchenContext({
    name,
    environment: environment.name,
    owner: owner !== undefined && OWNER_PATTERN.test(owner) ? owner : 'unknown',
  });
  kitchenOptions(config, context, deps.now ?? new Date());
  const ioHost = deps.toolkit ? undefined : new KitchenIoHost(log);
  const toolkit = deps.toolkit ?? (await kitchenToolkit(ioHost!, aws));
  log('info', `Synthesizing Kitchen ${name} to select stack ${stackName}`);
  const { assembly, stack } = await synthesizeKitchen(toolkit, ioHost, config, stackName, context, {
    app: request.app,
    lookups: true,
    nag: false,
    now: deps.now ?? new Date(),
  });
  try {
    log('info', `Deleting Kitchen ${name} (stack ${stackName}, status ${existing.StackStatus})`);
    let result: DestroyResult;
    try {
      result = await toolkit.destroy(assembly, { stacks: await selectOnly(stack.hierarchicalId) });
    } catch (e) {
      throw new CliError(`deleting Kitchen ${name} (stack ${stackName}) failed: ${sdkErrorMessage(e)}`, EXIT_SERVICE);
    }
    const destroyed = result.stacks.find((s) => s.stackName === stackName);
    if (destroyed && !destroyed.stackExisted) {
      return { ...base, deleted: false, existed: false, note: `Kitchen ${name} was already gone: nothing to delete` };
    }
    return { ...base, deleted: true, existed: true };
  } finally {
    await assembly.dispose();
  }
}
