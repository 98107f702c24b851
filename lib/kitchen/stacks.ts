/**
 * Kitchens as CloudFormation sees them: `kitchen list` and `kitchen status` read the stacks' tags
 * (KITCHEN_TAGS) through DescribeStacks. No aws-cdk-lib import: these commands start fast.
 */
import type { CloudFormationClient, DescribeStacksCommandOutput, Stack } from '@aws-sdk/client-cloudformation';
import type { EnvironmentConfig, KitchensConfig } from '../config/model';
import { Names } from '../naming';
import { clientConfig, type AwsTarget, type SdkClient } from './aws';
import { KITCHEN_TAGS } from './options';

export interface KitchenSummary {
  readonly name: string;
  readonly environment: string;
  readonly stackName: string;
  readonly owner?: string;
  readonly parent?: string;
  /** When the stack was created (ISO 8601). */
  readonly createdAt?: string;
  readonly ageSeconds?: number;
  /** The expiry tag (ISO 8601 UTC); the reaper deletes the Kitchen after it. */
  readonly expires?: string;
  readonly expired: boolean;
  /** The CloudFormation stack status, such as CREATE_COMPLETE or UPDATE_ROLLBACK_COMPLETE. */
  readonly status: string;
}

export interface KitchenDetail extends KitchenSummary {
  readonly stackId?: string;
  readonly statusReason?: string;
  readonly updatedAt?: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
}

/** A CloudFormation client, or anything with its `send`. */
export type CloudFormationLike = Pick<CloudFormationClient, 'send'> | SdkClient;

export async function cloudFormationClient(target: AwsTarget): Promise<CloudFormationLike> {
  const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
  return new CloudFormationClient(clientConfig(target));
}

function tagMap(stack: Stack): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of stack.Tags ?? []) {
    if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  }
  return tags;
}

function summary(stack: Stack, now: Date): KitchenSummary {
  const tags = tagMap(stack);
  const created = stack.CreationTime ? new Date(stack.CreationTime) : undefined;
  const expires = tags[KITCHEN_TAGS.expires];
  const expiresAt = expires !== undefined ? Date.parse(expires) : NaN;
  return {
    name: tags[KITCHEN_TAGS.kitchen],
    environment: tags[KITCHEN_TAGS.environment] ?? '',
    stackName: stack.StackName ?? '',
    owner: tags[KITCHEN_TAGS.owner],
    parent: tags[KITCHEN_TAGS.parent],
    createdAt: created?.toISOString(),
    ageSeconds: created ? Math.max(0, Math.floor((now.getTime() - created.getTime()) / 1000)) : undefined,
    expires,
    expired: !Number.isNaN(expiresAt) && expiresAt <= now.getTime(),
    status: stack.StackStatus ?? 'UNKNOWN',
  };
}

function detail(stack: Stack, now: Date): KitchenDetail {
  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? []) {
    if (o.OutputKey !== undefined) outputs[o.OutputKey] = o.OutputValue ?? '';
  }
  return {
    ...summary(stack, now),
    stackId: stack.StackId,
    statusReason: stack.StackStatusReason,
    updatedAt: stack.LastUpdatedTime ? new Date(stack.LastUpdatedTime).toISOString() : undefined,
    outputs,
    tags: tagMap(stack),
  };
}

function isKitchenOf(stack: Stack, project: string, environment?: string): boolean {
  const tags = tagMap(stack);
  return (
    tags[KITCHEN_TAGS.kitchen] !== undefined &&
    tags[KITCHEN_TAGS.project] === project &&
    (environment === undefined || tags[KITCHEN_TAGS.environment] === environment)
  );
}

/** True when DescribeStacks failed because the stack does not exist. */
export function isStackMissing(e: unknown): boolean {
  return e instanceof Error && /does not exist/.test(e.message);
}

/** The Kitchen's stack, or undefined when there is none (a deleted stack counts as none). */
export async function describeKitchenStack(
  cloudFormation: CloudFormationLike,
  stackName: string,
): Promise<Stack | undefined> {
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  try {
    const out = (await cloudFormation.send(
      new DescribeStacksCommand({ StackName: stackName }),
    )) as DescribeStacksCommandOutput;
    const stack = out.Stacks?.[0];
    return stack && stack.StackStatus !== 'DELETE_COMPLETE' ? stack : undefined;
  } catch (e) {
    if (isStackMissing(e)) return undefined;
    throw e;
  }
}

export interface ListKitchensOptions {
  readonly config: KitchensConfig;
  /** Only Kitchens of this environment. @default - every environment of the project */
  readonly environment?: EnvironmentConfig;
  readonly cloudFormation: CloudFormationLike;
  readonly now?: Date;
}

/** Every Kitchen stack of the project (tag kitchens:kitchen), sorted by name. */
export async function listKitchens(options: ListKitchensOptions): Promise<KitchenSummary[]> {
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const now = options.now ?? new Date();
  const kitchens: KitchenSummary[] = [];
  let token: string | undefined;
  do {
    const out = (await options.cloudFormation.send(
      new DescribeStacksCommand({ NextToken: token }),
    )) as DescribeStacksCommandOutput;
    for (const stack of out.Stacks ?? []) {
      if (stack.StackStatus === 'DELETE_COMPLETE') continue;
      if (isKitchenOf(stack, options.config.project, options.environment?.name)) kitchens.push(summary(stack, now));
    }
    token = out.NextToken;
  } while (token);
  return kitchens.sort((a, b) => a.name.localeCompare(b.name) || a.environment.localeCompare(b.environment));
}

export interface KitchenStatusOptions {
  readonly config: KitchensConfig;
  readonly environment: EnvironmentConfig;
  readonly name: string;
  readonly cloudFormation: CloudFormationLike;
  readonly now?: Date;
}

/** The Kitchen's stack with its tags and outputs, or undefined when the Kitchen does not exist. */
export async function kitchenStatus(options: KitchenStatusOptions): Promise<KitchenDetail | undefined> {
  const stack = await describeKitchenStack(
    options.cloudFormation,
    kitchenStackName(options.config, options.environment, options.name),
  );
  if (!stack) return undefined;
  if (!isKitchenOf(stack, options.config.project)) {
    throw new Error(
      `stack ${stack.StackName} exists but is not a Kitchen of project ${options.config.project} (it has no ${KITCHEN_TAGS.kitchen} and ${KITCHEN_TAGS.project} tags)`,
    );
  }
  return detail(stack, options.now ?? new Date());
}

export function kitchenNames(config: KitchensConfig, environment: EnvironmentConfig, name: string): Names {
  return new Names({
    project: config.project,
    environment: environment.name,
    account: environment.account,
    kitchen: name,
  });
}

export function kitchenStackName(config: KitchensConfig, environment: EnvironmentConfig, name: string): string {
  return kitchenNames(config, environment, name).stackName;
}

/** A short age for people: 45s, 12m, 5h 3m, 2d 4h. */
export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
