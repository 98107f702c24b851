/**
 * Where a masked sample crosses from one environment's warehouse to another's (production -> development):
 * the export bucket in the receiving account and the IAM roles of the Redshift role chains UNLOAD and COPY use.
 * One model, read by the constructs that create these resources and by `kitchen clone`. No aws-cdk-lib import.
 */
import { findEnvironment, productionEnvironment, type EnvironmentConfig, type KitchensConfig } from '../config/model';
import { Names } from '../naming';
import { parseClonePlan } from './planner';

/** The role every warehouse has attached; it may only assume `PROJECT-ENV-clone-*` roles of its own account. */
export const WAREHOUSE_ROLE = 'warehouse';
export const UNLOAD_ROLE = 'clone-unload';
export const COPY_ROLE = 'clone-copy';
export const EXPORT_BUCKET = 'export';
/** Exports are transient: the receiving side deletes them after this many days. */
export const EXPORT_EXPIRY_DAYS = 1;

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
}

const roleArn = (names: Names, role: string) => `arn:aws:iam::${names.context.account}:role/${names.roleName(role)}`;

export function cloneTransfer(project: string, source: EnvironmentConfig, target: EnvironmentConfig): CloneTransfer {
  const sourceNames = new Names({ project, environment: source.name, account: source.account });
  const targetNames = new Names({ project, environment: target.name, account: target.account });
  const warehouseRoleArn = {
    source: roleArn(sourceNames, WAREHOUSE_ROLE),
    target: roleArn(targetNames, WAREHOUSE_ROLE),
  };
  const unloadRoleArn = roleArn(sourceNames, UNLOAD_ROLE);
  const copyRoleArn = roleArn(targetNames, COPY_ROLE);
  return {
    source,
    target,
    sourceNames,
    targetNames,
    exportBucket: targetNames.bucketName(EXPORT_BUCKET),
    warehouseRoleArn,
    unloadRoleArn,
    copyRoleArn,
    unloadRoleChain: `${warehouseRoleArn.source},${unloadRoleArn}`,
    copyRoleChain: `${warehouseRoleArn.target},${copyRoleArn}`,
  };
}

/** Every cross-warehouse clone the config declares: an environment whose clone plan comes from another one. */
export function cloneTransfers(config: KitchensConfig): CloneTransfer[] {
  const transfers: CloneTransfer[] = [];
  for (const target of config.environments) {
    if (target.clone === undefined) continue;
    const plan = parseClonePlan(target.clone, { file: config.file, at: `environments.${target.name}.clone` });
    const source = plan.from ? findEnvironment(config, plan.from) : productionEnvironment(config);
    if (source.name !== target.name) {
      transfers.push(cloneTransfer(config.project, source, target));
    }
  }
  return transfers;
}
