/**
 * Where a masked sample crosses from one environment's warehouse to another's (production -> development):
 * the export bucket in the receiving account and the IAM roles of the Redshift role chains UNLOAD and COPY use.
 * One model, read by the constructs that create these resources and by `kitchen clone`. No aws-cdk-lib import.
 */
import * as path from 'path';
import { findEnvironment, productionEnvironment, type EnvironmentConfig, type KitchensConfig } from '../config/model';
import { Names, partitionOf } from '../naming';
import type { ClonePlan } from './plan';
import { parseClonePlan, PlanLocation } from './planner';
import { POINTER_FILE } from './snapshot';

/** The role every warehouse has attached; it may only assume `PROJECT-ENV-clone-*` roles of its own account. */
export const WAREHOUSE_ROLE = 'warehouse';
export const UNLOAD_ROLE = 'clone-unload';
export const COPY_ROLE = 'clone-copy';
/** The production job's Step Functions role: the only principal that acts as the cloner database user. */
export const JOB_ROLE = 'clone-job';
export const EXPORT_BUCKET = 'export';
/** Published snapshots are kept this many days (the pointer names the newest; older runs expire). */
export const EXPORT_EXPIRY_DAYS = 7;

export interface CloneTransfer {
  /** The environment the masked sample leaves (its warehouse runs UNLOAD). */
  readonly source: EnvironmentConfig;
  /** The environment that receives it (its warehouse runs COPY; its Kitchens are seeded). */
  readonly target: EnvironmentConfig;
  readonly sourceNames: Names;
  readonly targetNames: Names;
  /** In the target account. */
  readonly exportBucket: string;
  readonly warehouseRoleArn: { readonly source: string; readonly target: string };
  readonly unloadRoleArn: string;
  readonly copyRoleArn: string;
  /** Role chains for the IAM_ROLE clause: the cluster's attached role first, then the one it assumes. */
  readonly unloadRoleChain: string;
  readonly copyRoleChain: string;
  /** Keys of the publications of the source, `snapshots/production/` (runs below it, then latest.json). */
  readonly snapshotPrefix: string;
  /** `s3://export-bucket/snapshots/production/` */
  readonly snapshotUri: string;
  /** The pointer to the newest complete run. */
  readonly pointerKey: string;
  /** The production job's role (in the source account). */
  readonly jobRoleArn: string;
  /** The plan this transfer publishes, with where it is declared. */
  readonly plan?: ClonePlan;
  readonly planLocation?: PlanLocation;
}

const roleArn = (names: Names, region: string, role: string) =>
  `arn:${partitionOf(region)}:iam::${names.context.account}:role/${names.roleName(role)}`;

export function cloneTransfer(
  project: string,
  source: EnvironmentConfig,
  target: EnvironmentConfig,
  plan?: { readonly plan: ClonePlan; readonly location: PlanLocation },
): CloneTransfer {
  const sourceNames = new Names({ project, environment: source.name, account: source.account });
  const targetNames = new Names({ project, environment: target.name, account: target.account });
  const warehouseRoleArn = {
    source: roleArn(sourceNames, source.region, WAREHOUSE_ROLE),
    target: roleArn(targetNames, target.region, WAREHOUSE_ROLE),
  };
  const unloadRoleArn = roleArn(sourceNames, source.region, UNLOAD_ROLE);
  const copyRoleArn = roleArn(targetNames, target.region, COPY_ROLE);
  const exportBucket = targetNames.bucketName(EXPORT_BUCKET);
  const snapshotPrefix = `snapshots/${source.name}/`;
  return {
    source,
    target,
    sourceNames,
    targetNames,
    exportBucket,
    warehouseRoleArn,
    unloadRoleArn,
    copyRoleArn,
    unloadRoleChain: `${warehouseRoleArn.source},${unloadRoleArn}`,
    copyRoleChain: `${warehouseRoleArn.target},${copyRoleArn}`,
    snapshotPrefix,
    snapshotUri: `s3://${exportBucket}/${snapshotPrefix}`,
    pointerKey: `${snapshotPrefix}${POINTER_FILE}`,
    jobRoleArn: roleArn(sourceNames, source.region, JOB_ROLE),
    plan: plan?.plan,
    planLocation: plan?.location,
  };
}

/** Every cross-warehouse clone the config declares: an environment whose clone plan comes from another one. */
export function cloneTransfers(config: KitchensConfig): CloneTransfer[] {
  const transfers: CloneTransfer[] = [];
  for (const target of config.environments) {
    if (target.clone === undefined) continue;
    // The file's base name: it is written into the production job (no machine path in a template).
    const location = { file: path.basename(config.file), at: `environments.${target.name}.clone` };
    const plan = parseClonePlan(target.clone, location);
    const source = plan.from ? findEnvironment(config, plan.from) : productionEnvironment(config);
    if (source.name !== target.name) {
      transfers.push(cloneTransfer(config.project, source, target, { plan, location }));
    }
  }
  return transfers;
}
