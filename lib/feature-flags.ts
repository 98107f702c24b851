/**
 * aws-cdk-lib feature flags every cdk-kitchens app runs with. Set in code (not only in cdk.json) so that the
 * tests, the benchmarks, the CLI and `cdk synth` all produce the same templates.
 */
export const FEATURE_FLAGS: Readonly<Record<string, unknown>> = {
  '@aws-cdk/core:checkSecretUsage': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/core:target-partitions': ['aws'],
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-ecs:arnFormatIncludesClusterName': true,
  '@aws-cdk/aws-kms:reduceCrossAccountRegionPolicyScope': true,
  '@aws-cdk/aws-ec2:restrictDefaultSecurityGroup': false,
  '@aws-cdk/aws-stepfunctions-tasks:fixRunEcsTaskPolicy': true,
  '@aws-cdk/aws-ecs:reduceEc2FargateCloudWatchPermissions': true,
};
