/**
 * Resolves `kitchen clone NAME --from PARENT` against the config: which plan applies, where the data comes from
 * (an environment, or another Kitchen of the same environment) and where it goes (the Kitchen's schema, prefixes and
 * secrets). Every name derives from lib/naming, so the cloner writes only where the Kitchen owns things.
 */
import type { EnvironmentConfig, KitchensConfig } from '../config/model';
import { kitchenHost, productionEnvironment, relativeFile } from '../config/model';
import { Names, validateKitchenName } from '../naming';
import type { ClonePlan } from './plan';
import { parseClonePlan, PlanLocation } from './planner';
import { DEFAULT_SECRET_ROLES } from './secrets';

export interface CloneParent {
  readonly kind: 'environment' | 'kitchen';
  /** The environment name, or the parent Kitchen's name. */
  readonly name: string;
  /** The environment the parent's data lives in. */
  readonly environment: EnvironmentConfig;
  readonly names: Names;
}

export interface ObjectCloneTarget {
  readonly role: string;
  readonly sourceBucket: string;
  readonly sourcePrefix: string;
  readonly targetBucket: string;
  readonly targetPrefix: string;
  readonly fraction?: number;
  readonly limit?: number;
}

export interface ResolvedKitchenClone {
  readonly kitchen: string;
  readonly host: EnvironmentConfig;
  readonly names: Names;
  readonly parent: CloneParent;
  readonly plan: ClonePlan;
  readonly location: PlanLocation;
  readonly sourceSchema: string;
  readonly targetSchema: string;
  /** The parent's tables are in the Kitchen's own warehouse (CREATE TABLE AS), or in another (UNLOAD/COPY). */
  readonly sameWarehouse: boolean;
  readonly objects: readonly ObjectCloneTarget[];
  readonly secretRoles: readonly string[];
  readonly concurrency: number;
}

function namesOf(config: KitchensConfig, env: EnvironmentConfig, kitchen?: string): Names {
  return new Names({ project: config.project, environment: env.name, account: env.account, kitchen });
}

/** Reads the clone plan of the Kitchen's environment and resolves source and target; throws on bad input. */
export function resolveKitchenClone(config: KitchensConfig, kitchen: string, from?: string): ResolvedKitchenClone {
  const envNames = config.environments.map((e) => e.name);
  validateKitchenName(kitchen, envNames);
  const host = kitchenHost(config);
  const location: PlanLocation = { file: relativeFile(config), at: `environments.${host.name}.clone` };
  if (host.clone === undefined) {
    throw new Error(
      `${location.file}: environments.${host.name}.clone is required to clone a Kitchen; declare the tables and prefixes to copy`,
    );
  }
  const plan = parseClonePlan(host.clone, location);
  const parentName = from ?? plan.from ?? productionEnvironment(config).name;
  let parent: CloneParent;
  const env = config.environments.find((e) => e.name === parentName);
  if (env !== undefined) {
    parent = { kind: 'environment', name: env.name, environment: env, names: namesOf(config, env) };
  } else {
    validateKitchenName(parentName, envNames);
    if (parentName === kitchen) {
      throw new Error(`a Kitchen cannot be cloned from itself, got: --from ${parentName}`);
    }
    parent = { kind: 'kitchen', name: parentName, environment: host, names: namesOf(config, host, parentName) };
  }
  const names = namesOf(config, host, kitchen);
  const parentSchema = plan.schema ?? parent.environment.warehouse.schema;
  const sourceSchema = parent.kind === 'kitchen' ? parent.names.schema(parentSchema) : parentSchema;
  const objects = plan.objects.map((o) => ({
    role: o.bucket,
    sourceBucket: parent.names.bucketName(o.bucket),
    sourcePrefix: `${parent.names.dataPrefix}${o.prefix}`,
    targetBucket: names.bucketName(o.bucket),
    targetPrefix: `${names.dataPrefix}${o.prefix}`,
    fraction: o.fraction,
    limit: o.limit,
  }));
  return {
    kitchen,
    host,
    names,
    parent,
    plan,
    location,
    sourceSchema,
    targetSchema: names.schema(host.warehouse.schema),
    sameWarehouse: parent.environment.name === host.name,
    objects,
    secretRoles: plan.secrets ?? DEFAULT_SECRET_ROLES,
    concurrency: plan.concurrency ?? 16,
  };
}
