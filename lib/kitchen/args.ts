/**
 * Validation of the `kitchen` command-line arguments, before anything touches AWS. Every error names the flag,
 * the value received and what is allowed. Pure functions: no AWS SDK and no aws-cdk-lib import.
 */
import { describeValue } from '../config/errors';
import { InputFileError, readBoundedText } from '../config/input-file';
import type { EnvironmentConfig, KitchensConfig } from '../config/model';
import { ID_PATTERN, kitchenNameProblem, PIPELINE_ID_MAX } from '../naming';
import {
  IAM_PRINCIPAL_ARN_PATTERN,
  OWNER_PATTERN,
  SLACK_ID_PATTERN,
  SSH_PUBLIC_KEY_PATTERN,
  staffBreadthProblem,
} from '../patterns';
import { CliError, EXIT_USAGE } from '../cli/errors';

function bad(flag: string, value: unknown, allowed: string): CliError {
  return new CliError(`${flag} ${allowed}, got: ${describeValue(value)}`, EXIT_USAGE);
}

function environmentNames(config: KitchensConfig): string[] {
  return config.environments.map((e) => e.name);
}

/** The Kitchen NAME argument: the naming rules, with the configured environment names reserved too. */
export function checkKitchenName(name: string, config: KitchensConfig): string {
  const problem = kitchenNameProblem(name, environmentNames(config));
  if (problem) throw new CliError(problem, EXIT_USAGE);
  return name;
}

/** `--env`: an environment that allows Kitchens; without it, the first one that does. */
export function kitchenEnvironment(config: KitchensConfig, env: string | undefined): EnvironmentConfig {
  const hosts = config.environments.filter((e) => e.kitchens);
  if (env === undefined) {
    if (hosts.length === 0) {
      throw new CliError(
        `no environment of ${config.file} allows Kitchens; add a "kitchens:" section to a development environment`,
        EXIT_USAGE,
      );
    }
    return hosts[0];
  }
  const found = hosts.find((e) => e.name === env);
  if (!found) {
    const allowed = hosts.length > 0 ? hosts.map((e) => e.name).join(', ') : 'none is configured';
    throw bad('--env', env, `must name an environment that allows Kitchens (${allowed})`);
  }
  return found;
}

/** `--from PARENT`: an environment of the config or another Kitchen's name. */
export function checkParent(parent: string, name: string, config: KitchensConfig): string {
  if (parent === name) {
    throw bad('--from', parent, 'must name another Kitchen or an environment, not the Kitchen itself');
  }
  if (environmentNames(config).includes(parent)) return parent;
  if (kitchenNameProblem(parent, environmentNames(config))) {
    throw bad(
      '--from',
      parent,
      `must name an environment (${environmentNames(config).join(', ')}) or a valid Kitchen name`,
    );
  }
  return parent;
}

/** `--staff ARN,...`: IAM user or role ARNs of the environment's account. */
export function parseStaff(value: string, environment: EnvironmentConfig): string[] {
  const arns = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (arns.length === 0) {
    throw bad('--staff', value, 'must be a comma-separated list of IAM user or role ARNs');
  }
  for (const arn of arns) {
    const broad = staffBreadthProblem(arn);
    if (broad) throw bad('--staff', arn, broad);
    const match = IAM_PRINCIPAL_ARN_PATTERN.exec(arn);
    if (!match) {
      throw bad('--staff', arn, 'must be an IAM user or role ARN such as "arn:aws:iam::123456789012:role/NAME"');
    }
    if (match[2] !== environment.account) {
      throw bad(
        '--staff',
        arn,
        `must be a principal of account ${environment.account} (environment ${environment.name})`,
      );
    }
  }
  return [...new Set(arns)];
}

/** `--ttl 72h | 3d`: hours until the Kitchen expires, at most the environment's `kitchens.maxTtlHours`. */
export function parseTtl(value: string, environment: EnvironmentConfig): number {
  const match = /^(\d{1,5})([hd])$/.exec(value.trim());
  if (!match) {
    throw bad('--ttl', value, 'must be a whole number of hours or days such as 72h or 3d');
  }
  const hours = Number(match[1]) * (match[2] === 'd' ? 24 : 1);
  if (hours < 1) {
    throw bad('--ttl', value, 'must be at least 1h');
  }
  const max = environment.kitchens?.maxTtlHours ?? 0;
  if (hours > max) {
    throw new CliError(
      `--ttl must be at most ${max}h (kitchens.maxTtlHours of environment ${environment.name}), got: ${describeValue(value)} (${hours}h)`,
      EXIT_USAGE,
    );
  }
  return hours;
}

/** The expiry time for a TTL, as kitchenOptions expects it: ISO 8601 UTC, whole seconds. */
export function expiryFromTtl(hours: number, now: Date = new Date()): string {
  return new Date(Math.floor(now.getTime() / 1000) * 1000 + hours * 3600_000).toISOString().replace('.000Z', 'Z');
}

/** The largest `--ssh-key` file read: an RSA 16384-bit public key is about 2.8 KB. */
export const SSH_KEY_FILE_MAX_BYTES = 16 * 1024;

/** `--ssh-key FILE`: reads one OpenSSH public key; a private key is refused without echoing it. */
export function readSshKey(file: string): string {
  let text: string;
  try {
    // Bounded: a device (/dev/zero), FIFO or huge file is refused instead of read forever.
    text = readBoundedText(file, SSH_KEY_FILE_MAX_BYTES);
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    throw bad('--ssh-key', file, `must be a readable file holding an OpenSSH public key (it ${e.reason})`);
  }
  if (text.includes('PRIVATE KEY')) {
    throw bad('--ssh-key', file, 'must be a public key file (such as ~/.ssh/id_ed25519.pub), not a private key');
  }
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
  if (lines.length !== 1 || !SSH_PUBLIC_KEY_PATTERN.test(lines[0])) {
    throw bad(
      '--ssh-key',
      file,
      'must hold exactly one OpenSSH public key ("ssh-ed25519 AAAA... comment" or ssh-rsa, ecdsa-sha2-nistp256/384/521)',
    );
  }
  return lines[0];
}

/** `--slack-channel ID`. */
export function checkSlackChannel(value: string): string {
  if (!SLACK_ID_PATTERN.test(value)) {
    throw bad('--slack-channel', value, 'must be a Slack channel id such as "C07ABCDEF12" (9-11 capitals and digits)');
  }
  return value;
}

/** `--owner X`: a user name or e-mail, as stored in the owner tag. */
export function checkOwner(value: string): string {
  if (!OWNER_PATTERN.test(value)) {
    throw bad('--owner', value, 'must be 1-64 letters, digits or "_.@+-" (a user name or e-mail)');
  }
  return value;
}

/** `--profile P`: a profile name of ~/.aws/config. */
export function checkProfile(value: string): string {
  if (!/^[\w.@+/:-]{1,128}$/.test(value)) {
    throw bad('--profile', value, 'must be an AWS profile name (letters, digits and "_.@+/:-", no spaces)');
  }
  return value;
}

export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * `--region R`. A Kitchen stack is pinned to its environment's region; `pinned` makes any other region an error
 * (create, delete), otherwise it overrides the region the SDK calls go to (list, status, run).
 */
export function checkRegion(value: string, environment: EnvironmentConfig, pinned: boolean): string {
  if (!REGION_PATTERN.test(value)) {
    throw bad('--region', value, 'must be an AWS region such as "eu-west-1"');
  }
  if (pinned && value !== environment.region) {
    throw bad(
      '--region',
      value,
      `must be ${environment.region}, the region of environment ${environment.name} where its Kitchens are deployed`,
    );
  }
  return value;
}

/** The PIPELINE argument of a remote run: a pipeline id, as used in state machine names. */
export function checkPipelineId(value: string): string {
  if (value.length > PIPELINE_ID_MAX || !ID_PATTERN.test(value)) {
    throw bad(
      'PIPELINE',
      value,
      `must be a pipeline id: lowercase letters, digits and single hyphens, starting with a letter, at most ${PIPELINE_ID_MAX} characters`,
    );
  }
  return value;
}
