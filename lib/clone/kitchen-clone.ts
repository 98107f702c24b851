/**
 * Resolves `kitchen clone NAME` against the config: which plan applies, which environment publishes the snapshot
 * the Kitchen seeds from, and where everything goes (the Kitchen's schema, prefixes and secrets). Every name
 * derives from lib/naming, so the cloner writes only where the Kitchen owns things, and reads only the development
 * account's export bucket: nothing here needs production credentials.
 */
import type { EnvironmentConfig, KitchensConfig } from '../config/model';
import { findEnvironment, kitchenHost, productionEnvironment, relativeFile } from '../config/model';
import { Names, validateKitchenName } from '../naming';
import { declaredNonPersonal, type ClonePlan, type NonPersonalPrefix } from './plan';
import { parseClonePlan, PlanLocation } from './planner';
import { DEFAULT_SECRET_ROLES } from './secrets';
import { cloneTransfer, type CloneTransfer } from './transfer';

export interface ObjectCloneTarget {
  readonly role: string;
  /** The export bucket (development account). */
  readonly sourceBucket: string;
  /** Below the run: `snapshots/SOURCE/RUN/objects/ROLE/PREFIX`, with RUN filled in from the pointer. */
  sourcePrefix(run: string): string;
  readonly targetBucket: string;
  readonly targetPrefix: string;
  readonly fraction?: number;
  readonly limit?: number;
  /** The non-personal declaration it lies under (shown in the dry run). */
  readonly declaredBy: NonPersonalPrefix;
}

export interface ResolvedKitchenClone {
  readonly kitchen: string;
  readonly host: EnvironmentConfig;
  readonly names: Names;
  /** The environment whose job publishes the snapshot. */
  readonly source: EnvironmentConfig;
  readonly transfer: CloneTransfer;
  readonly plan: ClonePlan;
  readonly location: PlanLocation;
  readonly sourceSchema: string;
  readonly targetSchema: string;
  readonly objects: readonly ObjectCloneTarget[];
  readonly secretRoles: readonly string[];
  readonly concurrency: number;
}

/** Reads the clone plan of the Kitchen's environment and resolves source and target; throws on bad input. */
export function resolveKitchenClone(config: KitchensConfig, kitchen: string): ResolvedKitchenClone {
  const envNames = config.environments.map((e) => e.name);
  validateKitchenName(kitchen, envNames);
  const host = kitchenHost(config);
  const location: PlanLocation = { file: relativeFile(config), at: `environments.${host.name}.clone` };
  if (host.clone === undefined) {
    throw new Error(
      `${location.file}: environments.${host.name}.clone is required to clone a Kitchen; declare the tables and prefixes production publishes`,
    );
  }
  const plan = parseClonePlan(host.clone, location);
  const source = plan.from !== undefined ? findEnvironment(config, plan.from) : productionEnvironment(config);
  if (source.name === host.name) {
    throw new Error(
      `${location.file}: ${location.at}.from must name the environment that publishes the snapshot (another account), got: ${JSON.stringify(source.name)}`,
    );
  }
  const transfer = cloneTransfer(config.project, source, host, { plan, location });
  const names = new Names({ project: config.project, environment: host.name, account: host.account, kitchen });
  const objects = plan.objects.map((o) => ({
    role: o.bucket,
    sourceBucket: transfer.exportBucket,
    sourcePrefix: (run: string) =>
      `${transfer.snapshotPrefix}${run}/objects/${o.bucket}/${transfer.sourceNames.dataPrefix}${o.prefix}`,
    targetBucket: names.bucketName(o.bucket),
    targetPrefix: `${names.dataPrefix}${o.prefix}`,
    fraction: o.fraction,
    limit: o.limit,
    declaredBy: declaredNonPersonal(o, plan.nonPersonal)!,
  }));
  return {
    kitchen,
    host,
    names,
    source,
    transfer,
    plan,
    location,
    sourceSchema: plan.schema ?? source.warehouse.schema,
    targetSchema: names.schema(host.warehouse.schema),
    objects,
    secretRoles: plan.secrets ?? DEFAULT_SECRET_ROLES,
    concurrency: plan.concurrency ?? 16,
  };
}
