/**
 * One place that derives every physical name from (project, environment, kitchen, role), so names are
 * predictable, valid for their service, and unique per Kitchen. Pure functions: no aws-cdk-lib import.
 */

export const PROJECT_NAME_PATTERN = /^[a-z][a-z0-9]{1,11}$/;
export const ENVIRONMENT_NAME_PATTERN = /^[a-z][a-z0-9]{1,9}$/;
export const KITCHEN_NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
export const KITCHEN_NAME_MIN = 3;
export const KITCHEN_NAME_MAX = 24;
/** Pipeline and step ids; pipeline ids end up in state machine names (80 characters at most). */
export const ID_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
export const PIPELINE_ID_MAX = 30;

/** Names a Kitchen can never take: environment words, warehouse built-ins, and names of shared things. */
export const RESERVED_KITCHEN_NAMES = [
  'production',
  'prod',
  'development',
  'dev',
  'staging',
  'stage',
  'test',
  'main',
  'master',
  'public',
  'information-schema',
  'admin',
  'root',
  'default',
  'kitchen',
  'kitchens',
  'analytics',
  'shared',
  'aws',
];

/**
 * First words of the names the project gives an environment's own resources (`PROJECT-ENV-WORD...`: roles, state
 * machines, topics, log groups, secrets, stacks). A Kitchen's names are `PROJECT-ENV-KITCHEN...`, so a Kitchen whose
 * first word is one of these would share a name or a name pattern with the environment (for example the
 * `PROJECT-ENV-clone-*` roles the warehouse may assume, or the `PROJECT-ENV-object-clone` state machine).
 * test/lib/naming.test.ts checks this list against every name a synthesized environment uses.
 */
export const ENVIRONMENT_NAME_WORDS = [
  'alerts',
  'apps',
  'clone',
  'containers',
  'curated',
  'data',
  'deployment',
  'export',
  'kitchen',
  'kitchens',
  'landing',
  'logs',
  'object',
  'pipeline',
  'raw',
  'sftp',
  'slack',
  'vault',
  'vpc',
  'warehouse',
];

export class NameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NameError';
  }
}

/**
 * Returns the problem with a Kitchen name, or undefined when it is valid.
 * @param extraReserved names that are also reserved (the configured environment names)
 */
export function kitchenNameProblem(name: string, extraReserved: readonly string[] = []): string | undefined {
  const shown = JSON.stringify(name);
  if (typeof name !== 'string' || name.length === 0) {
    return `Kitchen name must not be empty`;
  }
  if (name.length < KITCHEN_NAME_MIN || name.length > KITCHEN_NAME_MAX) {
    return `Kitchen name ${shown} must be ${KITCHEN_NAME_MIN} to ${KITCHEN_NAME_MAX} characters long, got ${name.length}`;
  }
  if (!KITCHEN_NAME_PATTERN.test(name)) {
    return (
      `Kitchen name ${shown} must be lowercase letters, digits and single hyphens, start with a letter and ` +
      `not end with a hyphen (for example "profit-report")`
    );
  }
  if (name.startsWith('pg-') || (name.startsWith('pg') && name.length === 2)) {
    return `Kitchen name ${shown} is reserved: names starting with "pg" collide with warehouse system schemas`;
  }
  if (name.startsWith('aws-') || name.startsWith('redshift')) {
    return `Kitchen name ${shown} is reserved: names starting with "aws-" or "redshift" are used by AWS`;
  }
  const word = name.split('-')[0];
  if (ENVIRONMENT_NAME_WORDS.includes(word)) {
    return (
      `Kitchen name ${shown} is reserved: names starting with "${word}" collide with the environment's own resource ` +
      `names; the reserved first words are: ${ENVIRONMENT_NAME_WORDS.join(', ')}`
    );
  }
  const reserved = [...RESERVED_KITCHEN_NAMES, ...extraReserved];
  if (reserved.includes(name)) {
    return `Kitchen name ${shown} is reserved; reserved names are: ${[...new Set(reserved)].sort().join(', ')}`;
  }
  return undefined;
}

export function validateKitchenName(name: string, extraReserved: readonly string[] = []): string {
  const problem = kitchenNameProblem(name, extraReserved);
  if (problem) {
    throw new NameError(problem);
  }
  return name;
}

/** Six hex digits of the branch's SHA-256. */
function branchHash(branch: string): string {
  // crypto loads only when a name needs the hash: loading it costs every CLI start about 20 ms.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('crypto') as typeof import('crypto');
  return createHash('sha256').update(branch).digest('hex').slice(0, 6);
}

const BRANCH_PREFIXES = ['feature', 'features', 'feat', 'bugfix', 'fix', 'hotfix', 'chore', 'topic', 'users', 'user'];

/**
 * Turns a git branch name into a valid Kitchen name, deterministically:
 * `feature/ABC-12_Profit` -> `abc-12-profit`. A name too long for the limit keeps its start and gets a
 * short hash of the whole branch, so two long branches never collide.
 */
export function kitchenNameFromBranch(branch: string, extraReserved: readonly string[] = []): string {
  const trimmed = branch.trim().replace(/^refs\/heads\//, '');
  if (trimmed.length === 0) {
    throw new NameError('Branch name must not be empty');
  }
  const parts = trimmed.split('/');
  const withoutPrefix = parts.length > 1 && BRANCH_PREFIXES.includes(parts[0].toLowerCase()) ? parts.slice(1) : parts;
  let name = withoutPrefix
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(name)) {
    name = `k-${name}`.replace(/-+$/, '');
  }
  if (name.length > KITCHEN_NAME_MAX) {
    name = `${name.slice(0, KITCHEN_NAME_MAX - 7).replace(/-+$/, '')}-${branchHash(trimmed)}`;
  }
  if (name.length < KITCHEN_NAME_MIN || kitchenNameProblem(name, extraReserved)) {
    name = `k-${name}`.slice(0, KITCHEN_NAME_MAX - 7).replace(/-+$/, '') + `-${branchHash(trimmed)}`;
  }
  validateKitchenName(name, extraReserved);
  return name;
}

export interface NamingContext {
  readonly project: string;
  readonly environment: string;
  readonly account: string;
  /** Set for a Kitchen; undefined for the environment itself. */
  readonly kitchen?: string;
}

function snake(value: string): string {
  return value.replace(/-/g, '_');
}

function limit(kind: string, value: string, max: number, pattern?: RegExp): string {
  if (value.length > max) {
    throw new NameError(`${kind} name ${JSON.stringify(value)} is ${value.length} characters; the limit is ${max}`);
  }
  if (pattern && !pattern.test(value)) {
    throw new NameError(`${kind} name ${JSON.stringify(value)} does not match ${pattern}`);
  }
  return value;
}

/** Every physical name of one environment or Kitchen. */
export class Names {
  constructor(public readonly context: NamingContext) {}

  private get base(): string {
    const { project, environment, kitchen } = this.context;
    return kitchen ? `${project}-${environment}-${kitchen}` : `${project}-${environment}`;
  }

  /** CloudFormation stack name. */
  get stackName(): string {
    const { project, environment, kitchen } = this.context;
    const name = kitchen ? `${project}-${environment}-kitchen-${kitchen}` : `${project}-${environment}`;
    return limit('Stack', name, 128, /^[A-Za-z][A-Za-z0-9-]*$/);
  }

  /** The stack that hosts an environment's Kitchens (the reaper). */
  get kitchensStackName(): string {
    return limit(
      'Stack',
      `${this.context.project}-${this.context.environment}-kitchens`,
      128,
      /^[A-Za-z][A-Za-z0-9-]*$/,
    );
  }

  /** Buckets belong to the environment; Kitchens get prefixes in them. Globally unique through the account id. */
  bucketName(role: string): string {
    const { project, environment, account } = this.context;
    return limit('S3 bucket', `${project}-${environment}-${role}-${account}`, 63, /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
  }

  /** Prefix in every data lake bucket: empty for the environment, `kitchens/NAME/` for a Kitchen. */
  get dataPrefix(): string {
    return this.context.kitchen ? `kitchens/${this.context.kitchen}/` : '';
  }

  /** Warehouse schema the pipelines write to. */
  schema(environmentSchema: string): string {
    return this.context.kitchen ? limit('Schema', `k_${snake(this.context.kitchen)}`, 127) : environmentSchema;
  }

  /** Warehouse user of a Kitchen. */
  get databaseUser(): string {
    if (!this.context.kitchen) {
      throw new NameError('Only a Kitchen has its own database user');
    }
    return limit('Database user', `k_${snake(this.context.kitchen)}_user`, 127);
  }

  /** Transfer Family user of a Kitchen (3-100 characters, [\w@.-], no leading hyphen). */
  get sftpUserName(): string {
    if (!this.context.kitchen) {
      throw new NameError('Only a Kitchen has a generated SFTP user name');
    }
    return limit('SFTP user', `k-${this.context.kitchen}`, 100, /^[\w][\w@.-]{2,99}$/);
  }

  stateMachineName(pipelineId: string): string {
    return limit('State machine', `${this.base}-${pipelineId}`, 80, /^[A-Za-z0-9_-]+$/);
  }

  /** Secrets Manager name: `project/environment[/kitchens/NAME]/role`. */
  secretName(role: string): string {
    const { project, environment, kitchen } = this.context;
    const name = kitchen
      ? `${project}/${environment}/kitchens/${kitchen}/${role}`
      : `${project}/${environment}/${role}`;
    return limit('Secret', name, 512, /^[A-Za-z0-9/_+=.@-]+$/);
  }

  /** SSM parameter path under which an environment publishes its identifiers. */
  get parameterPath(): string {
    const { project, environment } = this.context;
    return `/${project}/${environment}/`;
  }

  parameterName(key: string): string {
    return `${this.parameterPath}${key}`;
  }

  topicName(role = 'alerts'): string {
    return limit('SNS topic', `${this.base}-${role}`, 256, /^[A-Za-z0-9_-]+$/);
  }

  /** AWS Chatbot configuration names: 1-128 characters, [A-Za-z0-9-_]. */
  chatbotName(): string {
    return limit('Chatbot configuration', `${this.base}-slack`, 128, /^[A-Za-z0-9_-]+$/);
  }

  /** IAM role names: 64 characters at most. */
  roleName(role: string): string {
    return limit('IAM role', `${this.base}-${role}`, 64, /^[\w+=,.@-]+$/);
  }

  logGroupName(role: string): string {
    const { project, environment, kitchen } = this.context;
    return kitchen ? `/${project}/${environment}/kitchens/${kitchen}/${role}` : `/${project}/${environment}/${role}`;
  }

  clusterIdentifier(): string {
    return limit(
      'Redshift cluster',
      `${this.context.project}-${this.context.environment}-warehouse`,
      63,
      /^[a-z][a-z0-9-]*$/,
    );
  }

  ecsClusterName(): string {
    return limit('ECS cluster', `${this.context.project}-${this.context.environment}`, 255);
  }

  /** Tags every resource of an environment or Kitchen carries. */
  tags(): Record<string, string> {
    const { project, environment, kitchen } = this.context;
    return {
      'kitchens:project': project,
      'kitchens:environment': environment,
      ...(kitchen ? { 'kitchens:kitchen': kitchen } : {}),
    };
  }
}

/** A construct id from a name: `partner-api` -> `PartnerApi` (ids are stable PascalCase literals). */
/** The AWS partition of a region (`cn-north-1` -> `aws-cn`), for ARNs written outside a stack. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  return 'aws';
}

export function pascal(value: string): string {
  return value
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}
