/**
 * The schema of `kitchens.config.yaml`. Every rule carries a message that says what is allowed; the loader
 * adds the file, the path and the value received.
 */
import { z } from 'zod';
import { clonePlanSchema } from '../clone/plan';
import { ENVIRONMENT_NAME_PATTERN, PROJECT_NAME_PATTERN } from '../naming';
import { SLACK_ID_PATTERN, SSH_PUBLIC_KEY_PATTERN } from '../patterns';
import { MONITORING_DEFAULTS } from '../observability/thresholds';

const integer = (min: number, max: number) =>
  z
    .number({ error: `must be an integer from ${min} to ${max}` })
    .int({ error: `must be an integer from ${min} to ${max}` })
    .min(min, { error: `must be an integer from ${min} to ${max}` })
    .max(max, { error: `must be an integer from ${min} to ${max}` });

/** Redshift node types that can run a provisioned cluster today. */
export const NODE_TYPES = [
  'ra3.large',
  'ra3.xlplus',
  'ra3.4xlarge',
  'ra3.16xlarge',
  'dc2.large',
  'dc2.8xlarge',
] as const;
/** Valid Fargate cpu/memory pairs (MiB), from the ECS task size table. */
export const FARGATE_SIZES: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
  4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
};
/** CloudWatch Logs retention values accepted by the service. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** A POSIX environment variable name, as ECS and every shell accept it. */
export const ENVIRONMENT_VARIABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

const name = (pattern: RegExp, what: string) =>
  z.string({ error: `must be a string (${what})` }).regex(pattern, { error: `must be ${what}` });

/**
 * `__proto__` is a valid POSIX name, but zod's record drops it without a word (a JavaScript object cannot hold it as
 * an ordinary key): refuse it instead, naming it.
 */
function refuseProtoKey(value: unknown, ctx: { addIssue(issue: z.core.$ZodRawIssue): void }): unknown {
  if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, '__proto__')) {
    ctx.addIssue({
      code: 'custom',
      path: ['__proto__'],
      input: '__proto__',
      message: 'must not be "__proto__" (a name the config cannot hold)',
    });
  }
  return value;
}

export const appSchema = z.strictObject({
  name: name(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'lowercase letters, digits and single hyphens, starting with a letter'),
  image: z
    .string({ error: 'must be a container image reference' })
    .regex(/^[a-z0-9][a-z0-9._\-/:]*(@sha256:[a-f0-9]{64})?$/, {
      error: 'must be a container image reference such as "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.2.0"',
    }),
  cpu: z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)], {
    error: 'must be one of the Fargate cpu units 256, 512, 1024, 2048, 4096',
  }),
  memory: integer(512, 30720),
  command: z.array(z.string({ error: 'must be a string' }), { error: 'must be a list of strings' }).optional(),
  environment: z
    .preprocess(
      refuseProtoKey,
      z.record(
        z.string().regex(ENVIRONMENT_VARIABLE_PATTERN, {
          error: 'must be an environment variable name (letters, digits and "_", not starting with a digit)',
        }),
        z.string({ error: 'must be a string' }),
        { error: 'must be a map of environment variable names to strings' },
      ),
    )
    .optional(),
  secrets: z
    .array(name(/^[a-z][a-z0-9-]*$/, 'a secret name of lowercase letters, digits and hyphens'), {
      error: 'must be a list of secret names',
    })
    .optional(),
  /** The user the container runs as (ECS `user`); not root unless the config says so. */
  user: name(
    /^([0-9]{1,10}|[a-z_][a-z0-9_-]{0,31})(:([0-9]{1,10}|[a-z_][a-z0-9_-]{0,31}))?$/,
    'a user for the container: "uid", "uid:gid", "user" or "user:group" such as "1000:1000" (default) or "root" to run as root',
  ).optional(),
});

export const sftpUserSchema = z.strictObject({
  name: name(
    /^[a-z][a-z0-9_.@-]{2,99}$/,
    'an SFTP user name of 3-100 characters: lowercase letters, digits, "_", ".", "@", "-", starting with a letter',
  ),
  sshPublicKey: z.string({ error: 'must be an SSH public key' }).regex(SSH_PUBLIC_KEY_PATTERN, {
    error: 'must be an OpenSSH public key: "ssh-ed25519 AAAA...", "ssh-rsa AAAA..." or "ecdsa-sha2-nistp256 AAAA..."',
  }),
});

export const environmentSchema = z.strictObject({
  stage: z.enum(['production', 'development'], { error: 'must be "production" or "development"' }),
  account: name(/^\d{12}$/, 'a 12-digit AWS account id in quotes, such as "123456789012"'),
  region: name(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as "eu-west-1"'),
  availabilityZones: z
    .array(name(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, 'an availability zone such as "eu-west-1a"'), {
      error: 'must be a list of 2 or 3 availability zones',
    })
    .min(2, { error: 'must be a list of 2 or 3 availability zones' })
    .max(3, { error: 'must be a list of 2 or 3 availability zones' }),
  cidr: name(/^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/, 'a /16 IPv4 CIDR block such as "10.20.0.0/16"'),
  warehouse: z.strictObject({
    nodeType: z.enum(NODE_TYPES, { error: `must be one of ${NODE_TYPES.join(', ')}` }),
    nodes: integer(1, 128),
    database: name(/^[a-z][a-z0-9_]{0,62}$/, 'a database name of lowercase letters, digits and "_"').default(
      'analytics',
    ),
    schema: name(/^[a-z][a-z0-9_]{0,62}$/, 'a schema name of lowercase letters, digits and "_"').default('analytics'),
  }),
  retention: z.strictObject({
    logDays: z
      .number({ error: `must be one of ${LOG_RETENTION_DAYS.join(', ')}` })
      .refine((v) => LOG_RETENTION_DAYS.includes(v), { error: `must be one of ${LOG_RETENTION_DAYS.join(', ')}` }),
    landingDays: integer(1, 3650),
    noncurrentVersionDays: integer(1, 3650),
    snapshotDays: integer(1, 35),
  }),
  schedules: z.boolean({ error: 'must be true or false' }),
  removalPolicy: z.enum(['retain', 'destroy'], { error: 'must be "retain" or "destroy"' }).optional(),
  slack: z.strictObject({
    workspaceId: name(SLACK_ID_PATTERN, 'a Slack workspace id such as "T07ABCDEF12"'),
    channelId: name(SLACK_ID_PATTERN, 'a Slack channel id such as "C07ABCDEF12"'),
    /** Channel for Kitchen alerts when a Kitchen names none (development only). */
    kitchenChannelId: name(SLACK_ID_PATTERN, 'a Slack channel id such as "C07ABCDEF12"').optional(),
  }),
  sftp: z
    .strictObject({
      users: z.array(sftpUserSchema, { error: 'must be a list of users' }).default([]),
    })
    .default({ users: [] }),
  kitchens: z
    .strictObject({
      defaultTtlHours: integer(1, 24 * 30).default(72),
      maxTtlHours: integer(1, 24 * 90).default(24 * 14),
    })
    .optional(),
  clone: clonePlanSchema.optional(),
});

/** The profile fields that may differ between development and production when declared under `alignment`. */
export const DIVERGENCE_FIELDS = [
  'warehouse.nodeType',
  'warehouse.nodes',
  'retention.logDays',
  'retention.landingDays',
  'retention.noncurrentVersionDays',
  'retention.snapshotDays',
  'schedules',
  'removalPolicy',
  'feeds',
] as const;
export type DivergenceField = (typeof DIVERGENCE_FIELDS)[number];

/**
 * CloudWatch's longest evaluation range for a metric alarm: Period x EvaluationPeriods at most 604,800 seconds
 * (7 days); a period under one hour allows at most 86,400 seconds (PutMetricAlarm, `Period`). A feed's window is
 * one period, so it may be at most 7 days.
 */
export const MAX_FEED_WINDOW_SECONDS = 604_800;
/** The shortest feed window: EventBridge publishes MatchedEvents per minute; 5 minutes leaves a late minute room. */
export const MIN_FEED_WINDOW_SECONDS = 300;
const WINDOW_UNITS: Record<string, number> = { m: 60, h: 3600, d: 86_400 };
/** A feed window: a whole number of minutes, hours or days (`90m`, `1h`, `24h`, `7d`). */
export const FEED_WINDOW_PATTERN = /^([1-9][0-9]{0,6})(m|h|d)$/;
const WINDOW_ALLOWED =
  'a window of whole minutes, hours or days such as "1h", "24h" or "7d", from 5 minutes to 7 days ' +
  `(${MAX_FEED_WINDOW_SECONDS} seconds: the longest period x evaluation periods a CloudWatch alarm evaluates; ` +
  'a longer window cannot be alarmed on)';

/** The seconds of a feed window (`24h` -> 86400), or undefined when it is not one. */
export function feedWindowSeconds(every: string): number | undefined {
  const match = FEED_WINDOW_PATTERN.exec(every);
  return match ? Number(match[1]) * WINDOW_UNITS[match[2]] : undefined;
}

/**
 * A key prefix in the landing bucket, confined to it: relative (no leading "/"), no "." or ".." segment, no empty
 * segment, S3's safe characters only, and not under `kitchens/` (Kitchens' prefixes).
 */
export const FEED_PREFIX_PATTERN =
  /^(?!kitchens\/)(?!\.{1,2}(\/|$))(?!.*\/\.{1,2}(\/|$))(?!.*\/\/)[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]{0,511}$/;
const PREFIX_ALLOWED =
  'a key prefix in the landing bucket such as "sftp/partner-globex/orders/": 1-512 letters, digits and ' +
  `"!-_.'()/", relative (not starting with "/"), without "." or ".." segments or "//", not under "kitchens/"`;

export const feedSchema = z.strictObject({
  name: name(
    /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/,
    'lowercase letters, digits and single hyphens, starting with a letter',
  ).max(40, { error: 'must be at most 40 characters' }),
  prefix: name(FEED_PREFIX_PATTERN, PREFIX_ALLOWED),
  every: z.string({ error: `must be ${WINDOW_ALLOWED}` }).refine(
    (v) => {
      const seconds = feedWindowSeconds(v);
      return seconds !== undefined && seconds >= MIN_FEED_WINDOW_SECONDS && seconds <= MAX_FEED_WINDOW_SECONDS;
    },
    { error: `must be ${WINDOW_ALLOWED}` },
  ),
  /** The environments whose freshness alarm acts (notifies); the alarm exists in every environment. */
  enabledIn: z
    .array(name(ENVIRONMENT_NAME_PATTERN, 'an environment name of this file'), {
      error: 'must be a list of environment names of this file',
    })
    .optional(),
});

export const configSchema = z.strictObject({
  project: name(PROJECT_NAME_PATTERN, '2-12 lowercase letters and digits, starting with a letter'),
  apps: z.array(appSchema, { error: 'must be a list of container apps' }).default([]),
  pipelines: z
    .array(z.string({ error: 'must be a file path' }), { error: 'must be a list of pipeline file paths' })
    .default([]),
  environments: z.record(
    name(ENVIRONMENT_NAME_PATTERN, '2-10 lowercase letters and digits, starting with a letter'),
    environmentSchema,
    { error: 'must be a map of environment name to environment' },
  ),
  /** Alarm thresholds of the dashboards (lib/observability); project-wide, so every environment has the same. */
  monitoring: z
    .strictObject({
      warehouseCpuPercent: integer(1, 100).default(MONITORING_DEFAULTS.warehouseCpuPercent),
      warehouseDiskPercent: integer(1, 100).default(MONITORING_DEFAULTS.warehouseDiskPercent),
      runDurationMinutes: integer(1, 24 * 60).default(MONITORING_DEFAULTS.runDurationMinutes),
    })
    .default({ ...MONITORING_DEFAULTS }),
  /** Files expected in the landing bucket: each gets a freshness alarm in every environment. */
  feeds: z.array(feedSchema, { error: 'must be a list of feeds' }).default([]),
  alignment: z
    .strictObject({
      divergence: z
        .array(z.enum(DIVERGENCE_FIELDS, { error: `must be one of ${DIVERGENCE_FIELDS.join(', ')}` }), {
          error: 'must be a list of profile fields',
        })
        .default([]),
    })
    .default({ divergence: [] }),
});

export type RawConfig = z.infer<typeof configSchema>;
