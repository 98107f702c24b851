import { Annotations, ArnFormat, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../lib/config/model';
import type { Names } from '../../lib/naming';
import { ENVIRONMENT_PARAMETERS, EnvironmentParameter } from '../../lib/parameters';
import type { DataLakeZone } from './data-lake';

/** Props of `EnvironmentImports`: which environment's published parameters to read. */
export interface EnvironmentImportsProps {
  /** Names of the environment (not of the Kitchen). */
  readonly names: Names;
  /** The environment whose published SSM parameters are read (its account and region). */
  readonly environment: EnvironmentConfig;
}

/**
 * A release environment as seen from another stack (a Kitchen): every identifier is read from the SSM
 * parameters the environment publishes, at deploy time (CloudFormation SSM parameter types), never by a
 * lookup at synth time and never through exports.
 */
export class EnvironmentImports extends Construct {
  public readonly vpc: ec2.IVpc;
  public readonly key: kms.IKey;
  public readonly buckets: Readonly<Record<DataLakeZone, s3.IBucket>>;
  public readonly ecsCluster: ecs.ICluster;
  public readonly warehouseSecurityGroup: ec2.ISecurityGroup;
  public readonly clusterIdentifier: string;
  public readonly clusterArn: string;
  private readonly names: Names;
  private serverId?: string;

  constructor(scope: Construct, id: string, props: EnvironmentImportsProps) {
    super(scope, id);
    this.names = props.names;
    const value = (key: EnvironmentParameter) =>
      ssm.StringParameter.valueForStringParameter(this, props.names.parameterName(ENVIRONMENT_PARAMETERS[key]));
    const azs = props.environment.availabilityZones;
    this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: value('vpcId'),
      availabilityZones: [...azs],
      privateSubnetIds: Fn.split(',', value('privateSubnetIds'), azs.length),
    });
    for (const subnet of this.vpc.privateSubnets) {
      Annotations.of(subnet).acknowledgeWarning(
        '@aws-cdk/aws-ec2:noSubnetRouteTableId',
        'A Kitchen only places tasks in these subnets; it never reads or changes their route tables.',
      );
    }
    this.key = kms.Key.fromKeyArn(this, 'Key', value('keyArn'));
    const bucket = (zone: DataLakeZone, key: EnvironmentParameter) =>
      s3.Bucket.fromBucketAttributes(this, `${zone[0].toUpperCase()}${zone.slice(1)}`, {
        bucketName: value(key),
        encryptionKey: this.key,
      });
    this.buckets = {
      landing: bucket('landing', 'landingBucket'),
      raw: bucket('raw', 'rawBucket'),
      curated: bucket('curated', 'curatedBucket'),
    };
    this.warehouseSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(
      this,
      'WarehouseSecurityGroup',
      value('warehouseSecurityGroupId'),
      {
        allowAllOutbound: false,
        mutable: false,
      },
    );
    this.ecsCluster = ecs.Cluster.fromClusterAttributes(this, 'Cluster', {
      clusterName: value('ecsClusterName'),
      vpc: this.vpc,
      securityGroups: [],
    });
    this.clusterIdentifier = value('clusterIdentifier');
    this.clusterArn = Stack.of(this).formatArn({
      service: 'redshift',
      resource: 'cluster',
      resourceName: this.clusterIdentifier,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /** The SFTP server id, read (and so declared as a template parameter) only by a Kitchen that has an SFTP user. */
  public get sftpServerId(): string {
    this.serverId ??= ssm.StringParameter.valueForStringParameter(
      this,
      this.names.parameterName(ENVIRONMENT_PARAMETERS.sftpServerId),
    );
    return this.serverId;
  }
}
