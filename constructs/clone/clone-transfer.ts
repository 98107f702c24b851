import { Annotations, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { EnvironmentBoundStack } from '../core/environment-bound-stack';
import { planDeclared } from '../../lib/clone/planner';
import { COPY_ROLE, EXPORT_EXPIRY_DAYS, UNLOAD_ROLE, type CloneTransfer } from '../../lib/clone/transfer';
import { DEFAULT_SCHEDULE } from '../../lib/clone/plan';
import { acknowledge, nagPartition } from '../core/nag';
import { CloneJob } from './clone-job';
import { ENVIRONMENT_PARAMETERS } from '../../lib/parameters';
import { JobMonitoring } from '../observability/job-monitoring';

/** Props of the {@link CloneExportStack} and {@link CloneImportStack} of one transfer. */
export interface CloneTransferStackProps extends StackProps {
  /** The transfer: source and receiving environments, export bucket and snapshot prefix, from the clone config. */
  readonly transfer: CloneTransfer;
}

/**
 * In the account of the environment the data leaves (production): the publishing job (CloneJob) and the role its
 * warehouse chains to for UNLOAD, which can write only below `snapshots/SOURCE/` of the receiving environment's
 * export bucket and reads nothing. Only the cloner database user may use that chain (GRANT ASSUMEROLE in the
 * setup), and only the job's role gets credentials for that user.
 */
export class CloneExportStack extends EnvironmentBoundStack {
  public readonly unloadRole: iam.Role;
  public readonly job?: CloneJob;

  constructor(scope: Construct, id: string, props: CloneTransferStackProps) {
    const { transfer } = props;
    super(scope, id, {
      boundTo: transfer.source,
      description: `cdk-kitchens: masked clone exports from ${transfer.source.name} to ${transfer.target.name}`,
      ...props,
    });
    const EXPORT_KEYS = `${transfer.snapshotPrefix}*`;
    const bucketArn = `arn:${this.partition}:s3:::${transfer.exportBucket}`;
    this.unloadRole = new iam.Role(this, 'UnloadRole', {
      roleName: transfer.sourceNames.roleName(UNLOAD_ROLE),
      assumedBy: new iam.ArnPrincipal(transfer.warehouseRoleArn.source),
      description: `UNLOAD of masked Kitchen samples from ${transfer.source.name} into ${transfer.exportBucket}`,
    });
    this.unloadRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [`${bucketArn}/${EXPORT_KEYS}`],
      }),
    );
    this.unloadRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': [EXPORT_KEYS] } },
      }),
    );
    acknowledge(
      this.unloadRole,
      `AwsSolutions-IAM5[Resource::arn:${nagPartition(this)}:s3:::${transfer.exportBucket}/${EXPORT_KEYS}]`,
      'Writes (and CLEANPATH-deletes) only the snapshot keys of this environment in the receiving export bucket; ' +
        'each run writes below a new run id.',
    );
    if (transfer.plan !== undefined && transfer.planLocation !== undefined) {
      const at = `${transfer.planLocation.file}: ${transfer.planLocation.at}`;
      this.job = new CloneJob(this, 'Job', {
        transfer,
        tables: planDeclared(transfer.plan, transfer.planLocation),
        sourceSchema: transfer.plan.schema ?? transfer.source.warehouse.schema,
        schedule: transfer.plan.schedule ?? DEFAULT_SCHEDULE,
        planAt: at,
        objects: transfer.plan.objects.map((o) => ({ role: o.bucket, prefix: o.prefix })),
        textPatterns: transfer.plan.textPatterns,
      });
      // A failed or timed-out publish or setup alarms (and resolves) on the source environment's alert topic.
      const topicArn = ssm.StringParameter.valueForStringParameter(
        this,
        transfer.sourceNames.parameterName(ENVIRONMENT_PARAMETERS.alertTopicArn),
      );
      new JobMonitoring(this, 'Monitoring', {
        prefix: this.stackName,
        alertTopic: sns.Topic.fromTopicArn(this, 'Alerts', topicArn),
        jobs: [
          { stateMachine: this.job.stateMachine, name: 'clone-publish', title: 'Clone: publish masked snapshot' },
          { stateMachine: this.job.setupStateMachine, name: 'clone-setup', title: 'Clone: administrator setup' },
        ],
      });
    }
  }
}

/**
 * In the account of the receiving environment (development): the export bucket (objects expire after a day) and
 * the role its warehouse chains to for COPY, which can only read the export keys.
 */
export class CloneImportStack extends EnvironmentBoundStack {
  public readonly exportBucket: s3.Bucket;
  public readonly copyRole: iam.Role;

  constructor(scope: Construct, id: string, props: CloneTransferStackProps) {
    const { transfer } = props;
    super(scope, id, {
      boundTo: transfer.target,
      description: `cdk-kitchens: masked clone imports into ${transfer.target.name} from ${transfer.source.name}`,
      ...props,
    });
    const EXPORT_KEYS = `${transfer.snapshotPrefix}*`;
    const logs = s3.Bucket.fromBucketName(this, 'AccessLogs', transfer.targetNames.bucketName('logs'));
    // SSE-S3, not the vault key: the writers are the source account's UNLOAD and job roles, which must not use
    // development keys. The objects are masked samples and expire after a week (the job publishes daily).
    this.exportBucket = new s3.Bucket(this, 'ExportBucket', {
      bucketName: transfer.exportBucket,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'export/',
      lifecycleRules: [
        {
          id: 'ExpireExports',
          expiration: Duration.days(EXPORT_EXPIRY_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Annotations.of(this.exportBucket).acknowledgeWarning(
      '@aws-cdk/aws-s3:accessLogsPolicyNotAdded',
      "The environment's access-log bucket policy (DataLake) already allows log delivery from the export bucket.",
    );
    this.exportBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'UnloadFromSource',
        principals: [new iam.ArnPrincipal(transfer.unloadRoleArn)],
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [this.exportBucket.arnForObjects(EXPORT_KEYS)],
      }),
    );
    this.exportBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ListFromSource',
        principals: [new iam.ArnPrincipal(transfer.unloadRoleArn)],
        actions: ['s3:ListBucket'],
        resources: [this.exportBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [EXPORT_KEYS] } },
      }),
    );
    this.exportBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'PublishFromSourceJob',
        principals: [new iam.ArnPrincipal(transfer.jobRoleArn)],
        // DeleteObject and ListBucket: a failed run's files are removed by the job.
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [this.exportBucket.arnForObjects(EXPORT_KEYS)],
      }),
    );
    this.exportBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ListFromSourceJob',
        principals: [new iam.ArnPrincipal(transfer.jobRoleArn)],
        actions: ['s3:ListBucket'],
        resources: [this.exportBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [EXPORT_KEYS] } },
      }),
    );
    this.copyRole = new iam.Role(this, 'CopyRole', {
      roleName: transfer.targetNames.roleName(COPY_ROLE),
      assumedBy: new iam.ArnPrincipal(transfer.warehouseRoleArn.target),
      description: `COPY of masked Kitchen samples from ${transfer.exportBucket}`,
    });
    this.exportBucket.grantRead(this.copyRole, EXPORT_KEYS);
    for (const finding of ['Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*']) {
      acknowledge(
        this.copyRole,
        `AwsSolutions-IAM5[${finding}]`,
        'Read actions of bucket.grantRead on the export bucket only.',
      );
    }
    acknowledge(
      this.copyRole,
      `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.exportBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${EXPORT_KEYS}]`,
      'Reads only the published snapshots of the export bucket; each run writes below a new run id.',
    );
  }
}
