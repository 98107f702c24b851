/**
 * Reads and validates `kitchens.config.yaml`. Every problem is reported at once, each naming the file, the
 * path, the value received and what is allowed; nothing downstream runs on an invalid config.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, describeValue } from './errors';
import { InputFileError, isInside, MAX_INPUT_FILE_BYTES, parseYamlText, readBoundedText } from './input-file';
import type { EnvironmentConfig, FeedConfig, KitchensConfig } from './model';
import { configSchema, DIVERGENCE_FIELDS, FARGATE_SIZES, feedWindowSeconds, RawConfig } from './schema';
import { valueAt, zodProblems } from './zod-problems';

export const DEFAULT_CONFIG_FILE = 'kitchens.config.yaml';

/** Why `file` cannot serve as an input file (stat only: nothing is opened), or undefined when it can. */
function fileProblem(file: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return 'does not exist';
  }
  if (stat.isDirectory()) return 'is a directory';
  if (!stat.isFile()) return 'is not a regular file';
  if (stat.size > MAX_INPUT_FILE_BYTES) return `is larger than ${MAX_INPUT_FILE_BYTES / (1024 * 1024)} MiB`;
  return undefined;
}

/** How loading treats development fields that differ from production without being declared. */
export interface LoadOptions {
  /**
   * `refuse`: a config problem (exit 2). `allow`: load it, for `kitchen align` to report the difference as drift.
   * @default 'refuse'
   */
  readonly undeclaredDivergence?: 'refuse' | 'allow';
}

/**
 * Set to `allow` by `kitchen align` and `promote-report` for the app they synthesize (a child process that calls
 * `loadConfig` itself): the app then builds both environments, and the command reports their config difference as
 * drift instead of the app failing on it.
 */
export const UNDECLARED_DIVERGENCE_ENV = 'KITCHENS_UNDECLARED_DIVERGENCE';

/** Runs `work` (which synthesizes an app in a child process) with {@link UNDECLARED_DIVERGENCE_ENV} set to `allow`. */
export async function allowingUndeclaredDivergence<T>(work: () => Promise<T>): Promise<T> {
  const saved = process.env[UNDECLARED_DIVERGENCE_ENV];
  process.env[UNDECLARED_DIVERGENCE_ENV] = 'allow';
  try {
    return await work();
  } finally {
    if (saved === undefined) delete process.env[UNDECLARED_DIVERGENCE_ENV];
    else process.env[UNDECLARED_DIVERGENCE_ENV] = saved;
  }
}

function undeclaredDivergence(options: LoadOptions): 'refuse' | 'allow' {
  return options.undeclaredDivergence ?? (process.env[UNDECLARED_DIVERGENCE_ENV] === 'allow' ? 'allow' : 'refuse');
}

/** Problems that span fields: one production environment, unique names, files, CIDRs, divergence. */
function crossFieldProblems(file: string, config: RawConfig, baseDir: string, options: LoadOptions = {}): string[] {
  const problems: string[] = [];
  const envs = Object.entries(config.environments);
  const production = envs.filter(([, e]) => e.stage === 'production');
  if (production.length === 0) {
    problems.push(`${file}: environments must declare exactly one environment with stage "production", got none`);
  } else if (production.length > 1) {
    problems.push(
      `${file}: environments must declare exactly one environment with stage "production", got ${production.length}: ${production
        .map(([n]) => n)
        .join(', ')}`,
    );
  }
  if (envs.length > 0 && !envs.some(([, e]) => e.stage === 'development')) {
    problems.push(`${file}: environments must declare at least one environment with stage "development", got none`);
  }

  const appNames = new Set<string>();
  config.apps.forEach((app, i) => {
    if (appNames.has(app.name)) {
      problems.push(`${file}: apps[${i}].name must be unique, got a second ${JSON.stringify(app.name)}`);
    }
    appNames.add(app.name);
    const memories = FARGATE_SIZES[app.cpu] ?? [];
    if (!memories.includes(app.memory)) {
      problems.push(
        `${file}: apps[${i}].memory must be one of ${memories.join(', ')} for cpu ${app.cpu}, got: ${app.memory}`,
      );
    }
  });

  config.pipelines.forEach((p, i) => {
    const target = path.resolve(baseDir, p);
    if (path.isAbsolute(p) || !isInside(baseDir, target)) {
      problems.push(
        `${file}: pipelines[${i}] must be a path inside the config file's directory (relative, without leaving it), got: ${JSON.stringify(p)}`,
      );
      return;
    }
    const reason = fileProblem(target);
    if (reason !== undefined) {
      problems.push(`${file}: pipelines[${i}] must name a pipeline file, got: ${JSON.stringify(p)}, which ${reason}`);
    }
  });

  const cidrs = new Map<string, string>();
  for (const [name, env] of envs) {
    const at = `environments.${name}`;
    const [a, b] = env.cidr.split('.').map(Number);
    if (a > 255 || b > 255) {
      problems.push(`${file}: ${at}.cidr must be a valid /16 IPv4 CIDR block, got: ${JSON.stringify(env.cidr)}`);
    }
    if (cidrs.has(env.cidr)) {
      problems.push(
        `${file}: ${at}.cidr must differ from environment ${cidrs.get(env.cidr)}, got: ${JSON.stringify(env.cidr)}`,
      );
    }
    cidrs.set(env.cidr, name);
    env.availabilityZones.forEach((az, i) => {
      if (!az.startsWith(env.region)) {
        problems.push(
          `${file}: ${at}.availabilityZones[${i}] must be in region ${env.region}, got: ${JSON.stringify(az)}`,
        );
      }
    });
    const users = new Set<string>();
    env.sftp.users.forEach((u, i) => {
      if (users.has(u.name)) {
        problems.push(`${file}: ${at}.sftp.users[${i}].name must be unique, got a second ${JSON.stringify(u.name)}`);
      }
      if (u.name.startsWith('k-')) {
        problems.push(
          `${file}: ${at}.sftp.users[${i}].name must not start with "k-" (reserved for Kitchens), got: ${JSON.stringify(u.name)}`,
        );
      }
      users.add(u.name);
    });
    if (env.kitchens && env.stage !== 'development') {
      problems.push(
        `${file}: ${at}.kitchens is only allowed on a development environment, got it on stage "${env.stage}"`,
      );
    }
    const cloneFrom = env.clone?.from;
    if (cloneFrom !== undefined && (cloneFrom === name || !(cloneFrom in config.environments))) {
      const others = envs.map(([n]) => n).filter((n) => n !== name);
      problems.push(
        `${file}: ${at}.clone.from must name another environment of this file (${others.length > 0 ? others.join(', ') : 'there is none'}), got: ${JSON.stringify(cloneFrom)}`,
      );
    }
    if (env.kitchens && env.kitchens.defaultTtlHours > env.kitchens.maxTtlHours) {
      problems.push(
        `${file}: ${at}.kitchens.defaultTtlHours must be at most maxTtlHours (${env.kitchens.maxTtlHours}), got: ${env.kitchens.defaultTtlHours}`,
      );
    }
  }

  const feedNames = new Set<string>();
  config.feeds.forEach((feed, i) => {
    if (feedNames.has(feed.name)) {
      problems.push(`${file}: feeds[${i}].name must be unique, got a second ${JSON.stringify(feed.name)}`);
    }
    feedNames.add(feed.name);
    (feed.enabledIn ?? []).forEach((envName, j) => {
      if (!(envName in config.environments)) {
        problems.push(
          `${file}: feeds[${i}].enabledIn[${j}] must name an environment of this file (${envs.map(([n]) => n).join(', ')}), got: ${JSON.stringify(envName)}`,
        );
      }
    });
  });

  // Development may differ from production only where alignment.divergence says so.
  if (production.length === 1 && undeclaredDivergence(options) !== 'allow') {
    const [prodName, prod] = production[0];
    for (const [name, env] of envs) {
      if (env.stage !== 'development') continue;
      for (const field of DIVERGENCE_FIELDS) {
        const mine = field === 'feeds' ? enabledFeeds(config, name) : valueAt(env, field.split('.'));
        const theirs = field === 'feeds' ? enabledFeeds(config, prodName) : valueAt(prod, field.split('.'));
        if (JSON.stringify(mine) !== JSON.stringify(theirs) && !config.alignment.divergence.includes(field)) {
          const subject =
            field === 'feeds'
              ? `the feeds enabled in environment ${name} (feeds[].enabledIn) are ${describeValue(mine)} but in production (${prodName}) ${describeValue(theirs)}`
              : `environments.${name}.${field} is ${describeValue(mine)} but production (${prodName}) has ${describeValue(theirs)}`;
          problems.push(
            `${file}: ${subject}; ` +
              `development may differ from production only in fields listed under alignment.divergence (add "${field}" there to declare it)`,
          );
        }
      }
    }
  }
  return problems;
}

/** The environments a feed's alarm acts in: `enabledIn`, or by default the production environment. */
function feedEnabledIn(config: RawConfig, feed: RawConfig['feeds'][number]): readonly string[] {
  return (
    feed.enabledIn ??
    Object.entries(config.environments)
      .filter(([, e]) => e.stage === 'production')
      .map(([n]) => n)
  );
}

/** The names of the feeds whose alarms act in an environment (the value the `feeds` divergence field compares). */
function enabledFeeds(config: RawConfig, envName: string): string[] {
  return config.feeds.filter((f) => feedEnabledIn(config, f).includes(envName)).map((f) => f.name);
}

function toModel(file: string, raw: RawConfig): KitchensConfig {
  const baseDir = path.dirname(file);
  const environments: EnvironmentConfig[] = Object.entries(raw.environments).map(([name, env]) => ({
    name,
    stage: env.stage,
    account: env.account,
    region: env.region,
    availabilityZones: env.availabilityZones,
    cidr: env.cidr,
    warehouse: env.warehouse,
    retention: env.retention,
    schedules: env.schedules,
    removalPolicy: env.removalPolicy ?? 'retain',
    slack: env.slack,
    sftpUsers: env.sftp.users,
    kitchens: env.kitchens,
    clone: env.clone,
    monitoring: raw.monitoring,
    feeds: raw.feeds.map((feed): FeedConfig => ({
      name: feed.name,
      prefix: feed.prefix,
      every: feed.every,
      windowSeconds: feedWindowSeconds(feed.every)!,
      enabled: feedEnabledIn(raw, feed).includes(name),
    })),
  }));
  return {
    file,
    project: raw.project,
    apps: raw.apps,
    pipelines: raw.pipelines.map((p) => path.resolve(baseDir, p)),
    environments,
    divergence: raw.alignment.divergence,
  };
}

/** Validates an already-parsed config object; `file` is used for messages and relative paths. */
export function parseConfig(raw: unknown, file: string, options: LoadOptions = {}): KitchensConfig {
  const shown = path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file);
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(zodProblems(configSchema, raw, result.error, { file: shown }));
  }
  const problems = crossFieldProblems(shown, result.data, path.dirname(path.resolve(file)), options);
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return toModel(path.resolve(file), result.data);
}

/** Reads, parses and validates a config file (a regular UTF-8 file of at most 1 MiB). */
export function loadConfig(file: string = DEFAULT_CONFIG_FILE, options: LoadOptions = {}): KitchensConfig {
  if (typeof file !== 'string' || file.length === 0) {
    throw new ConfigError([`config file must be a file path, got: ${describeValue(file)}`]);
  }
  const shown = file;
  let text: string;
  try {
    text = readBoundedText(file);
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    throw new ConfigError([
      e.reason === 'does not exist'
        ? `${shown}: config file not found (looked in ${path.resolve(file)})`
        : `${shown}: the config file ${e.reason}; give the path of a kitchens.config.yaml file`,
    ]);
  }
  return parseConfig(parseYamlText(text, shown), file, options);
}
