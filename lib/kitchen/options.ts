/**
 * What defines one Kitchen, read from CDK context (`-c kitchen=NAME -c kitchenOwner=...`), so that a plain
 * `cdk deploy -c kitchen=NAME` is enough and `kitchen create` passes exactly the same keys. Validated here,
 * before anything is synthesized; every error names the context key, the value and what is allowed.
 * No aws-cdk-lib import: the CLI uses this too.
 */
import { z } from 'zod';
import { ConfigError, describeValue } from '../config/errors';
import { kitchenHost, type EnvironmentConfig, type KitchensConfig } from '../config/model';
import { kitchenNameProblem } from '../naming';
import {
  IAM_PRINCIPAL_ARN_PATTERN,
  OWNER_PATTERN,
  SLACK_ID_PATTERN,
  SSH_PUBLIC_KEY_PATTERN,
  staffBreadthProblem,
} from '../patterns';

/** The CDK context keys of a Kitchen. */
export const KITCHEN_CONTEXT = {
  name: 'kitchen',
  environment: 'kitchenEnv',
  owner: 'kitchenOwner',
  parent: 'kitchenParent',
  staff: 'kitchenStaff',
  expires: 'kitchenExpires',
  sshKey: 'kitchenSshKey',
  slackChannel: 'kitchenSlackChannel',
} as const;

/** Several Kitchens in one app (benchmarks, side-by-side tests): `-c kitchens=a,b,c`. */
export const KITCHENS_CONTEXT = 'kitchens';

/** One Kitchen as read and validated from CDK context by {@link kitchenOptions}. */
export interface KitchenOptions {
  /** The Kitchen's name (context `kitchen`); it appears in the names of everything the Kitchen creates. */
  readonly name: string;
  /** The development environment the Kitchen lives in. */
  readonly environment: EnvironmentConfig;
  /** Who the Kitchen belongs to (context `kitchenOwner`, else `$USER`): a user name or e-mail, shown in the stack description and tags. */
  readonly owner: string;
  /** The environment or Kitchen the Kitchen was created from (its data is cloned from there). */
  readonly parent: string;
  /** IAM principal ARNs that may assume the Kitchen's staff role. */
  readonly staff: readonly string[];
  /** ISO 8601 UTC time after which the reaper deletes the Kitchen. */
  readonly expires: string;
  /**
   * OpenSSH public key of the Kitchen's SFTP user (context `kitchenSshKey`).
   *
   * @default - no SFTP user is created for the Kitchen
   */
  readonly sshPublicKey?: string;
  /**
   * Slack channel the Kitchen's alerts go to (context `kitchenSlackChannel`, else the environment's Kitchen
   * channel, else its main channel).
   */
  readonly slackChannelId: string;
}

function problem(key: string, value: unknown, allowed: string): string {
  return `context ${key} ${allowed}, got: ${describeValue(value)}`;
}

/** Reads and validates the Kitchen options; `now` is injectable so tests are deterministic. */
export function kitchenOptions(
  config: KitchensConfig,
  context: Readonly<Record<string, unknown>>,
  now: Date = new Date(),
): KitchenOptions {
  const problems: string[] = [];
  const str = (key: string): string | undefined => {
    const v = context[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') {
      problems.push(problem(key, v, 'must be a string'));
      return undefined;
    }
    return v.trim();
  };
  const name = str(KITCHEN_CONTEXT.name) ?? '';
  const envName = str(KITCHEN_CONTEXT.environment);
  let environment: EnvironmentConfig | undefined;
  try {
    environment = kitchenHost(config, envName);
  } catch (e) {
    problems.push(`context ${KITCHEN_CONTEXT.environment}: ${(e as Error).message}`);
  }
  const nameProblem = kitchenNameProblem(
    name,
    config.environments.map((e) => e.name),
  );
  if (nameProblem) problems.push(`context ${KITCHEN_CONTEXT.name}: ${nameProblem}`);

  const owner = str(KITCHEN_CONTEXT.owner) ?? process.env.USER ?? 'unknown';
  if (!OWNER_PATTERN.test(owner)) {
    problems.push(
      problem(KITCHEN_CONTEXT.owner, owner, 'must be 1-64 letters, digits or "_.@+-" (a user name or e-mail)'),
    );
  }
  const parent = str(KITCHEN_CONTEXT.parent) ?? environment?.name ?? '';
  if (
    parent &&
    !config.environments.some((e) => e.name === parent) &&
    kitchenNameProblem(
      parent,
      config.environments.map((e) => e.name),
    )
  ) {
    problems.push(problem(KITCHEN_CONTEXT.parent, parent, 'must name an environment or an existing Kitchen'));
  }

  const staffRaw = str(KITCHEN_CONTEXT.staff);
  const staff = staffRaw
    ? staffRaw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  staff.forEach((arn) => {
    const broad = staffBreadthProblem(arn);
    if (broad) {
      problems.push(problem(KITCHEN_CONTEXT.staff, arn, broad));
    } else if (!IAM_PRINCIPAL_ARN_PATTERN.test(arn)) {
      problems.push(
        problem(
          KITCHEN_CONTEXT.staff,
          arn,
          'must be a comma-separated list of IAM user or role ARNs (arn:aws:iam::123456789012:role/NAME)',
        ),
      );
    } else if (environment && !arn.includes(`::${environment.account}:`)) {
      problems.push(
        problem(KITCHEN_CONTEXT.staff, arn, `must be a principal of the development account ${environment.account}`),
      );
    }
  });

  let expires = str(KITCHEN_CONTEXT.expires);
  const policy = environment?.kitchens;
  if (expires === undefined) {
    const hours = policy?.defaultTtlHours ?? 72;
    expires = new Date(Math.ceil((now.getTime() + hours * 3600_000) / 3600_000) * 3600_000)
      .toISOString()
      .replace('.000Z', 'Z');
  } else {
    const parsed = z.iso.datetime().safeParse(expires);
    if (!parsed.success) {
      problems.push(
        problem(KITCHEN_CONTEXT.expires, expires, 'must be an ISO 8601 UTC time such as "2026-12-01T18:00:00Z"'),
      );
    } else if (policy && new Date(expires).getTime() - now.getTime() > policy.maxTtlHours * 3600_000) {
      problems.push(
        problem(
          KITCHEN_CONTEXT.expires,
          expires,
          `must be at most ${policy.maxTtlHours} hours from now (kitchens.maxTtlHours)`,
        ),
      );
    }
  }

  const sshPublicKey = str(KITCHEN_CONTEXT.sshKey);
  if (sshPublicKey !== undefined && !SSH_PUBLIC_KEY_PATTERN.test(sshPublicKey)) {
    problems.push(
      problem(KITCHEN_CONTEXT.sshKey, sshPublicKey, 'must be an OpenSSH public key ("ssh-ed25519 AAAA...")'),
    );
  }
  const slackChannelId =
    str(KITCHEN_CONTEXT.slackChannel) ?? environment?.slack.kitchenChannelId ?? environment?.slack.channelId ?? '';
  if (environment && !SLACK_ID_PATTERN.test(slackChannelId)) {
    problems.push(
      problem(KITCHEN_CONTEXT.slackChannel, slackChannelId, 'must be a Slack channel id such as "C07ABCDEF12"'),
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { name, environment: environment!, owner, parent, staff, expires: expires!, sshPublicKey, slackChannelId };
}

/** The context a Kitchen stack is synthesized with, for the CLI (the inverse of kitchenOptions). */
export function kitchenContext(options: {
  readonly name: string;
  readonly environment?: string;
  readonly owner?: string;
  readonly parent?: string;
  readonly staff?: readonly string[];
  readonly expires?: string;
  readonly sshPublicKey?: string;
  readonly slackChannelId?: string;
}): Record<string, string> {
  const context: Record<string, string> = { [KITCHEN_CONTEXT.name]: options.name };
  if (options.environment) context[KITCHEN_CONTEXT.environment] = options.environment;
  if (options.owner) context[KITCHEN_CONTEXT.owner] = options.owner;
  if (options.parent) context[KITCHEN_CONTEXT.parent] = options.parent;
  if (options.staff && options.staff.length > 0) context[KITCHEN_CONTEXT.staff] = options.staff.join(',');
  if (options.expires) context[KITCHEN_CONTEXT.expires] = options.expires;
  if (options.sshPublicKey) context[KITCHEN_CONTEXT.sshKey] = options.sshPublicKey;
  if (options.slackChannelId) context[KITCHEN_CONTEXT.slackChannel] = options.slackChannelId;
  return context;
}

/** Tags every Kitchen stack carries; `kitchen list` and the reaper read them. */
export const KITCHEN_TAGS = {
  kitchen: 'kitchens:kitchen',
  owner: 'kitchens:owner',
  parent: 'kitchens:parent',
  expires: 'kitchens:expires',
  environment: 'kitchens:environment',
  project: 'kitchens:project',
} as const;

/**
 * The tags of a Kitchen: on its stack (what CloudFormation, the Resource Groups Tagging API, the reaper and
 * `kitchen list` see) and so on every resource in it.
 */
export function kitchenTags(project: string, options: KitchenOptions): Record<string, string> {
  return {
    [KITCHEN_TAGS.project]: project,
    [KITCHEN_TAGS.environment]: options.environment.name,
    [KITCHEN_TAGS.kitchen]: options.name,
    [KITCHEN_TAGS.owner]: options.owner,
    [KITCHEN_TAGS.parent]: options.parent,
    [KITCHEN_TAGS.expires]: options.expires,
    'kitchens:stage': 'kitchen',
  };
}
