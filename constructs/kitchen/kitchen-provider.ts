import { ArnFormat, CustomResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Names } from '../../lib/naming';
import { acknowledge, bucketObjectsFinding, resourceFinding } from '../core/nag';
import { ResourcesFunction, type WarehouseTarget } from '../core/resources-function';

/** The database user the provider runs as (lambda/kitchen-resources/sql.js). */
export const PROVISIONER_DATABASE_USER = 'kitchens_provisioner';
/** Users that create tables in Kitchen schemas besides the Kitchen user (the cloner's COPY). */
export const KITCHEN_SCHEMA_WRITERS = ['kitchens_cloner'];

/** Props of a {@link KitchenProvider}. */
export interface KitchenProviderProps extends WarehouseTarget {
  /** Names of the environment that hosts the Kitchens. */
  readonly names: Names;
  /** The environment's warehouse admin secret: used only to set up the provisioner user, by its own function. */
  readonly adminSecret: secretsmanager.ISecret;
  /** The environment's data lake buckets; the provider may list and delete only under their `kitchens/` prefix. */
  readonly buckets: readonly s3.IBucket[];
  /** How long the provider's log groups keep their events. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * The one provider of every Kitchen's custom resources in an environment. It runs its SQL as a dedicated database
 * user (`kitchens_provisioner`, with its own secret) that may create users and schemas but is not a superuser, and
 * it may read only that secret and the Kitchens' own warehouse secrets, and delete only below `kitchens/`.
 * A separate function, the only one here that can read the admin secret, sets up the provisioner user.
 */
export class KitchenProvider extends Construct {
  public readonly serviceToken: string;
  public readonly provider: ResourcesFunction;
  public readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: KitchenProviderProps) {
    super(scope, id);
    const { project, environment } = props.names.context;
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: props.names.secretName('warehouse/kitchens-provisioner'),
      description: `Warehouse user ${PROVISIONER_DATABASE_USER}: creates and drops Kitchen users and schemas`,
      encryptionKey: props.encryptionKey,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: PROVISIONER_DATABASE_USER }),
        generateStringKey: 'password',
        passwordLength: 32,
        excludePunctuation: true,
      },
    });
    acknowledge(
      this.secret,
      'AwsSolutions-SMG4',
      'Redshift does not rotate this user; rotating it needs a rotation Lambda with network access to the warehouse, which this project does not deploy yet. Only the Kitchen provider can read it.',
    );
    const setup = new ResourcesFunction(this, 'Setup', {
      ...props,
      role: 'kitchens-provisioner-setup',
      description: `sets up warehouse user ${PROVISIONER_DATABASE_USER} of ${project}-${environment}`,
      serves: ['Custom::WarehouseUser'],
      secret: props.adminSecret,
      environment: { USER_SECRET_ARN: this.secret.secretArn, WRITERS: KITCHEN_SCHEMA_WRITERS.join(',') },
    });
    this.secret.grantRead(setup.role);
    const user = new CustomResource(this, 'User', {
      serviceToken: setup.function.functionArn,
      resourceType: 'Custom::WarehouseUser',
      properties: { Kind: 'provisioner', SecretArn: this.secret.secretArn },
    });

    this.provider = new ResourcesFunction(this, 'Provider', {
      ...props,
      role: 'kitchen-provider',
      description: `creates and deletes the schemas, users and prefixes of ${project}-${environment} Kitchens`,
      serves: ['Custom::KitchenSchema', 'Custom::KitchenPrefix'],
      secret: this.secret,
      environment: {
        PROJECT: project,
        ENVIRONMENT: environment,
        BUCKETS: Stack.of(this).toJsonString(props.buckets.map((b) => b.bucketName)),
        WRITERS: KITCHEN_SCHEMA_WRITERS.join(','),
      },
    });
    this.provider.node.addDependency(user);
    const stack = Stack.of(this);
    const kitchenSecrets = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${project}/${environment}/kitchens/*/warehouse-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.provider.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [kitchenSecrets],
      }),
    );
    acknowledge(
      this.provider.role,
      `AwsSolutions-IAM5[${resourceFinding(this, kitchenSecrets)}]`,
      "Reads only the Kitchens' warehouse secrets (PROJECT/ENV/kitchens/NAME/warehouse plus the 6 random characters Secrets Manager appends), to set each Kitchen user's password and to drop, as that user, what it owns.",
    );
    for (const bucket of props.buckets) {
      this.provider.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket', 's3:ListBucketVersions'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': ['kitchens/*'] } },
        }),
      );
      this.provider.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: [bucket.arnForObjects('kitchens/*')],
        }),
      );
      acknowledge(
        this.provider.role,
        `AwsSolutions-IAM5[${bucketObjectsFinding(bucket, 'kitchens/*')}]`,
        'Deletes object versions only below kitchens/, the prefix that holds the Kitchens, when a Kitchen is deleted.',
      );
    }
    this.serviceToken = this.provider.function.functionArn;
  }
}
