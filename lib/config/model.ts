/** The validated environment model every other part of cdk-kitchens reads. */
import * as path from 'path';
import type { DivergenceField } from './schema';
import type { MonitoringThresholds } from '../observability/thresholds';

export type Stage = 'production' | 'development';

export interface AppConfig {
  readonly name: string;
  readonly image: string;
  readonly cpu: number;
  readonly memory: number;
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly secrets?: readonly string[];
  /** The user the container runs as: `uid[:gid]` or `user[:group]`. @default "1000:1000" (not root) */
  readonly user?: string;
}

export interface SftpUserConfig {
  readonly name: string;
  readonly sshPublicKey: string;
}

export interface WarehouseConfig {
  readonly nodeType: string;
  readonly nodes: number;
  readonly database: string;
  readonly schema: string;
}

export interface RetentionConfig {
  readonly logDays: number;
  readonly landingDays: number;
  readonly noncurrentVersionDays: number;
  readonly snapshotDays: number;
}

export interface KitchenPolicyConfig {
  readonly defaultTtlHours: number;
  readonly maxTtlHours: number;
}

/** A file feed expected in the landing bucket, as one environment sees it. */
export interface FeedConfig {
  readonly name: string;
  /** Key prefix in the landing bucket (confined to it: relative, no `.`/`..` segments, not under `kitchens/`). */
  readonly prefix: string;
  /** The window as written (`24h`). */
  readonly every: string;
  /** The window in seconds: the alarm fires when no object was created under the prefix for this long. */
  readonly windowSeconds: number;
  /**
   * Whether this environment's freshness alarm acts (notifies, and counts in the all-green composite). The alarm
   * exists in every environment; `enabledIn` in the config decides.
   */
  readonly enabled: boolean;
}

export interface EnvironmentConfig {
  readonly name: string;
  readonly stage: Stage;
  readonly account: string;
  readonly region: string;
  readonly availabilityZones: readonly string[];
  readonly cidr: string;
  readonly warehouse: WarehouseConfig;
  readonly retention: RetentionConfig;
  readonly schedules: boolean;
  /** Requested removal policy for stateful resources; production always retains. */
  readonly removalPolicy: 'retain' | 'destroy';
  readonly slack: { readonly workspaceId: string; readonly channelId: string; readonly kitchenChannelId?: string };
  readonly sftpUsers: readonly SftpUserConfig[];
  /** Present when Kitchens may be created in this environment (development only). */
  readonly kitchens?: KitchenPolicyConfig;
  /** The raw clone plan, validated by lib/clone. */
  readonly clone?: unknown;
  /** Alarm thresholds (project-wide: the same in every environment). @default - warehouse CPU 90%, disk 80%, runs slower than 120 minutes */
  readonly monitoring?: MonitoringThresholds;
  /** The declared landing feeds (the same list in every environment; `enabled` may differ). @default - none */
  readonly feeds?: readonly FeedConfig[];
}

export interface KitchensConfig {
  /** Absolute path of the file the config was read from (for messages and relative paths). */
  readonly file: string;
  readonly project: string;
  readonly apps: readonly AppConfig[];
  /** Absolute paths of the pipeline definition files. */
  readonly pipelines: readonly string[];
  readonly environments: readonly EnvironmentConfig[];
  readonly divergence: readonly DivergenceField[];
}

export function findEnvironment(config: KitchensConfig, name: string): EnvironmentConfig {
  const env = config.environments.find((e) => e.name === name);
  if (!env) {
    throw new Error(
      `${relativeFile(config)}: no environment named ${JSON.stringify(name)}; environments are: ${config.environments
        .map((e) => e.name)
        .join(', ')}`,
    );
  }
  return env;
}

export function productionEnvironment(config: KitchensConfig): EnvironmentConfig {
  return config.environments.find((e) => e.stage === 'production')!;
}

/** The development environment Kitchens live in (the first development environment that allows Kitchens). */
export function kitchenHost(config: KitchensConfig, name?: string): EnvironmentConfig {
  const env = name ? findEnvironment(config, name) : config.environments.find((e) => e.kitchens);
  if (!env || !env.kitchens) {
    throw new Error(
      `${relativeFile(config)}: ${name ? `environment ${JSON.stringify(name)} does not` : 'no environment does'} allow Kitchens; ` +
        'add a "kitchens:" section to a development environment',
    );
  }
  return env;
}

export function relativeFile(config: KitchensConfig): string {
  const rel = path.relative(process.cwd(), config.file);
  return rel.startsWith('..') ? config.file : rel;
}
