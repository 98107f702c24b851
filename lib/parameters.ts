/**
 * The identifiers an environment publishes as SSM parameters under its path (`/project/env/...`), so Kitchens
 * and pipelines read them at deploy time instead of through CloudFormation exports, which would lock the
 * environment stack. One list, used by the publisher and every reader.
 */
export const ENVIRONMENT_PARAMETERS = {
  vpcId: 'vpc/id',
  availabilityZones: 'vpc/availability-zones',
  privateSubnetIds: 'vpc/private-subnet-ids',
  isolatedSubnetIds: 'vpc/isolated-subnet-ids',
  keyArn: 'vault/key-arn',
  landingBucket: 'data-lake/landing-bucket',
  rawBucket: 'data-lake/raw-bucket',
  curatedBucket: 'data-lake/curated-bucket',
  clusterIdentifier: 'warehouse/cluster-identifier',
  clusterEndpoint: 'warehouse/endpoint',
  database: 'warehouse/database',
  adminSecretArn: 'warehouse/admin-secret-arn',
  warehouseSecurityGroupId: 'warehouse/security-group-id',
  ecsClusterName: 'containers/cluster-name',
  tasksSecurityGroupId: 'containers/security-group-id',
  sftpServerId: 'sftp/server-id',
  alertTopicArn: 'alerts/topic-arn',
} as const;

export type EnvironmentParameter = keyof typeof ENVIRONMENT_PARAMETERS;

/** What an environment's Kitchen host stack publishes under the same path, for the Kitchen stacks. */
export const KITCHEN_HOST_PARAMETERS = {
  providerServiceToken: 'kitchens/provider-service-token',
} as const;
