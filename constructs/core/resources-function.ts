import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Names } from '../../lib/naming';
import { packagePath } from '../../lib/package-root';
import { acknowledge } from './nag';
import { nodeRuntime, settleNodeRuntime } from './runtime';

/** The custom resource code of the Kitchen provider and the warehouse users (lambda/kitchen-resources). */
export const KITCHEN_RESOURCES_CODE = packagePath('lambda/kitchen-resources');

/** The warehouse a custom-resource function runs its SQL on, through the Redshift Data API. */
export interface WarehouseTarget {
  /** Identifier of the Redshift cluster. */
  readonly clusterIdentifier: string;
  /** ARN of the Redshift cluster; the function may run statements only on it. */
  readonly clusterArn: string;
  /** Database the statements run in. */
  readonly database: string;
  /** KMS key that encrypts the function's log group; the function is granted decrypt with it (to read its secret). */
  readonly encryptionKey: kms.IKey;
}

/** Props of a {@link ResourcesFunction}. */
export interface ResourcesFunctionProps extends WarehouseTarget {
  /** Names of the environment: the function's log group name derives from them. */
  readonly names: Names;
  /** Short name of what the function does; its log group is named after it. */
  readonly role: string;
  /** What the function is for: the description of its IAM role and (prefixed `cdk-kitchens:`) of the function. */
  readonly description: string;
  /** Custom resource types the function handles (passed as `SERVES`); it refuses the others. */
  readonly serves: readonly string[];
  /** The secret the function runs its SQL with. */
  readonly secret: secretsmanager.ISecret;
  /** How long the function's log group keeps its events. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Extra environment variables of the function, added after (and able to override) the ones the construct sets.
   *
   * @default - only the variables the construct sets
   */
  readonly environment?: Record<string, string>;
}

/** One deployment of lambda/kitchen-resources, with the Data API rights of one database user and nothing else. */
export class ResourcesFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ResourcesFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: props.names.logGroupName(props.role),
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    logGroup.grantWrite(this.role);
    this.function = new lambda.Function(this, 'Resource', {
      description: `cdk-kitchens: ${props.description}`,
      runtime: nodeRuntime(this),
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(KITCHEN_RESOURCES_CODE),
      timeout: Duration.minutes(10),
      memorySize: 256,
      role: this.role,
      logGroup,
      environment: {
        SERVES: props.serves.join(','),
        CLUSTER_IDENTIFIER: props.clusterIdentifier,
        DATABASE: props.database,
        SECRET_ARN: props.secret.secretArn,
        ...props.environment,
      },
    });
    settleNodeRuntime(this.function);
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['redshift-data:ExecuteStatement'], resources: [props.clusterArn] }),
    );
    // The Data API checks ownership of statement ids itself: only the caller that ran a statement can read it.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult'],
        resources: ['*'],
      }),
    );
    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'DescribeStatement and GetStatementResult support no resource-level permissions; the Data API lets a caller read only statements it ran itself.',
    );
    props.secret.grantRead(this.role);
    props.encryptionKey.grantDecrypt(this.role);
  }
}
