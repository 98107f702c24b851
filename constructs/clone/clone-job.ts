import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { TablePlan } from '../../lib/clone/planner';
import {
  checkDataApiLimits,
  CLONER_USER,
  DATA_API_MAX_BATCH_STATEMENTS,
  fingerprint,
  KEY_FILE_PLACEHOLDER,
  keyStatements,
  publishStatements,
  setupStatements,
} from '../../lib/clone/sql';
import type { TextPattern } from '../../lib/clone/scan';
import { JOB_ROLE, type CloneTransfer } from '../../lib/clone/transfer';
import { ENVIRONMENT_PARAMETERS } from '../../lib/parameters';
import { acknowledge, nagPartition, resourceFinding } from '../core/nag';
import { CloneSetupRun } from './clone-setup-run';
import { HashKeyDrop } from './hash-key-drop';

/** Redshift's BatchExecuteStatement takes at most 40 statements. */
export const MAX_BATCH_STATEMENTS = DATA_API_MAX_BATCH_STATEMENTS;
const RUN_PLACEHOLDER = 'KITCHENSRUNPLACEHOLDER';
/** How long the clone's SQL steps wait between two Data API status polls of a statement. */
export const CLONE_POLL_INTERVAL = Duration.seconds(10);
/**
 * The setup's whole budget: its state machine's timeout. Its SQL steps poll the Data API every
 * {@link CLONE_POLL_INTERVAL} until their statement ends, for at most this long in all; then Step Functions ends the
 * execution TIMED_OUT. The deploy waits this long plus two polls (CloneSetupRun).
 */
export const CLONE_SETUP_TIMEOUT = Duration.minutes(30);

export interface PublishedObjects {
  /** Bucket role in the source environment, such as "curated". */
  readonly role: string;
  /** Key prefix in the source bucket (already checked against the plan's non-personal allow-list). */
  readonly prefix: string;
}

/** Props of a {@link CloneJob}. */
export interface CloneJobProps {
  /** The transfer the job publishes for: source and receiving environments, export bucket and snapshot prefix. */
  readonly transfer: CloneTransfer;
  /** The plan's tables, parents first (planDeclared). */
  readonly tables: readonly TablePlan[];
  /** Schema of the source warehouse the plan's tables are unloaded from. */
  readonly sourceSchema: string;
  /** EventBridge schedule expression. */
  readonly schedule: string;
  /** Where the plan is declared, named in the guard's message. */
  readonly planAt: string;
  /** Declared non-personal prefixes published with every run. @default - none */
  readonly objects?: readonly PublishedObjects[];
  /** Personal-data patterns the plan adds to the guard's scan of kept text. @default - none */
  readonly textPatterns?: readonly TextPattern[];
}

/** A statement as a States.Format template with the run id as its only argument (`{}`). */
function withRun(sql: string): string {
  const escaped = sql.replace(/\\/g, '\\\\').replace(/[{}]/g, (c) => `\\${c}`);
  const parts = escaped.split(RUN_PLACEHOLDER);
  return sfn.JsonPath.format(parts.join('{}'), ...parts.slice(1).map(() => sfn.JsonPath.stringAt('$.run')));
}

/**
 * The production side of the masked clone: a Step Functions job in the production account that runs, as the
 * `kitchens_cloner` database user, the deny-by-default guard and one UNLOAD per table of the plan (sampled and
 * masked inside the warehouse, written through the `warehouse,clone-unload` role chain into the development
 * account's export bucket), copies the declared non-personal prefixes, then writes `latest.json`. It runs on the
 * plan's schedule (enabled where schedules are, so in production) and on demand (`grantRun`). Its role is the
 * only principal given credentials for the cloner user. A second state machine runs the administrator setup (the
 * user, SELECT on the plan's tables only, the production-only key, ASSUMEROLE revoked from PUBLIC and the chain
 * granted to the cloner user only); the deploy runs it when its statements changed and waits for it
 * ({@link CloneSetupRun}): a failed setup fails the deploy, and the job is created or changed only after it succeeded.
 */
export class CloneJob extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly setupStateMachine: sfn.StateMachine;
  /** The deploy-time run of the setup, which the deploy waits for. */
  public readonly setupRun: CloneSetupRun;
  public readonly role: iam.Role;
  /** The function and bucket that draw the hash key and hand it to the warehouse (never to Step Functions). */
  public readonly keyDrop: HashKeyDrop;
  private readonly transfer: CloneTransfer;

  constructor(scope: Construct, id: string, props: CloneJobProps) {
    super(scope, id);
    const { transfer } = props;
    this.transfer = transfer;
    const names = transfer.sourceNames;
    const stack = Stack.of(this);
    const cluster = names.clusterIdentifier();
    const database = transfer.source.warehouse.database;
    const clusterArn = `arn:${stack.partition}:redshift:${stack.region}:${stack.account}:cluster:${cluster}`;
    const publish = publishStatements(
      props.tables,
      props.sourceSchema,
      { kind: 's3', uri: transfer.snapshotUri, roleChain: transfer.unloadRoleChain },
      'redshift',
      RUN_PLACEHOLDER,
    );
    // Checked with the longest run id (80 characters), which the placeholder stands for.
    checkDataApiLimits(
      publish.map((sql) => sql.split(RUN_PLACEHOLDER).join('r'.repeat(80))),
      props.tables,
      props.planAt,
    );
    const exportBucket = s3.Bucket.fromBucketName(this, 'ExportBucket', transfer.exportBucket);
    // Encrypts the job's log groups too, like every log group of the environment.
    const vaultKeyArn = ssm.StringParameter.valueForStringParameter(
      this,
      names.parameterName(ENVIRONMENT_PARAMETERS.keyArn),
    );
    const vaultKey = kms.Key.fromKeyArn(this, 'VaultKey', vaultKeyArn);

    // The job: as the cloner user, never as the administrator.
    this.role = new iam.Role(this, 'Role', {
      roleName: names.roleName(JOB_ROLE),
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `Publishes the masked clone snapshot of ${transfer.source.name} for ${transfer.target.name}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['redshift:GetClusterCredentials'],
        resources: [
          `arn:${stack.partition}:redshift:${stack.region}:${stack.account}:dbuser:${cluster}/${CLONER_USER}`,
          `arn:${stack.partition}:redshift:${stack.region}:${stack.account}:dbname:${cluster}/${database}`,
        ],
      }),
    );
    const asCloner = { ClusterIdentifier: cluster, Database: database, DbUser: CLONER_USER };
    const start = new sfn.Pass(this, 'Name the run', {
      parameters: { 'run.$': 'States.UUID()' },
    });
    const unload = this.sqlStep('Publish tables', clusterArn, {
      action: 'batchExecuteStatement',
      parameters: { ...asCloner, Sqls: sfn.JsonPath.array(...publish.map(withRun)) },
    });
    const tablesList = props.tables.map((t) => `"${t.name}"`).join(',');
    const pointer = new tasks.CallAwsService(this, 'Point latest at the run', {
      service: 's3',
      action: 'putObject',
      parameters: {
        Bucket: transfer.exportBucket,
        Key: transfer.pointerKey,
        ContentType: 'application/json',
        Body: sfn.JsonPath.format(
          `\\{"run":"{}","publishedAt":"{}","tables":[${tablesList}]\\}`,
          sfn.JsonPath.stringAt('$.run'),
          sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        ),
      },
      iamResources: [exportBucket.arnForObjects(transfer.pointerKey)],
      iamAction: 's3:PutObject',
      resultPath: sfn.JsonPath.DISCARD,
    });
    const steps = (props.objects ?? []).map((o, i) => this.objectsStep(i, o, exportBucket));
    let tail: sfn.INextable = unload.end;
    for (const step of steps) {
      tail.next(step);
      tail = step;
    }
    // Everything that writes below the run's prefix runs in one branch: when it fails (a statement, a copy) or the
    // pointer cannot be written, the run's files are removed before the execution fails with the original error,
    // so a failed run leaves nothing behind and latest.json stays on the previous run.
    const publishRun = new sfn.Parallel(this, 'Publish the run', { resultPath: sfn.JsonPath.DISCARD });
    publishRun.branch(unload.start);
    const cleanup = this.cleanupSteps(exportBucket);
    publishRun.addCatch(cleanup, { resultPath: '$.failure' });
    pointer.addCatch(cleanup, { resultPath: '$.failure' });
    const definition = sfn.Chain.start(start).next(publishRun).next(pointer);
    this.stateMachine = new sfn.StateMachine(this, 'Resource', {
      stateMachineName: names.stateMachineName('clone-publish'),
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      role: this.role,
      tracingEnabled: true,
      timeout: Duration.hours(6),
      logs: {
        destination: new logs.LogGroup(this, 'Logs', {
          retention: logs.RetentionDays.ONE_YEAR,
          encryptionKey: vaultKey,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    new events.Rule(this, 'Schedule', {
      description: `Publish the masked clone snapshot of ${transfer.source.name}`,
      schedule: events.Schedule.expression(props.schedule),
      enabled: transfer.source.schedules,
      targets: [new targets.SfnStateMachine(this.stateMachine)],
    });

    // The setup: as the administrator (the warehouse's managed secret), on every deploy.
    const adminSecretArn = ssm.StringParameter.valueForStringParameter(
      this,
      names.parameterName(ENVIRONMENT_PARAMETERS.adminSecretArn),
    );
    const setup = setupStatements(props.tables, {
      dialect: 'redshift',
      sourceSchema: props.sourceSchema,
      planAt: props.planAt,
      unloadRoleChain: transfer.unloadRoleChain,
      textPatterns: props.textPatterns,
    });
    const keyFileRole = transfer.unloadRoleChain.split(',')[0];
    const keySql = keyStatements('redshift', keyFileRole);
    const keyAt = setup.indexOf(keySql[0]);
    const asAdmin = { ClusterIdentifier: cluster, Database: database, SecretArn: adminSecretArn };
    const before = this.sqlStep('Setup: schema and key table', clusterArn, {
      action: 'batchExecuteStatement',
      parameters: { ...asAdmin, Sqls: setup.slice(0, keyAt) },
    });
    // The key: drawn by a function with Secrets Manager's random generator into the key-drop bucket (production,
    // its own KMS key), loaded with COPY through the warehouse's role, then the file is deleted. The state machine
    // only ever holds the file's name.
    this.keyDrop = new HashKeyDrop(this, 'KeyDrop', {
      warehouseRoleArn: keyFileRole,
      logEncryptionKey: vaultKey,
      logRetention: transfer.source.retention.logDays as logs.RetentionDays,
    });
    const drawKey = new tasks.LambdaInvoke(this, 'Setup: draw the key', {
      lambdaFunction: this.keyDrop.function,
      payload: sfn.TaskInput.fromObject({
        key: sfn.JsonPath.format('hash-key/{}.csv', sfn.JsonPath.stringAt('$$.Execution.Name')),
      }),
      payloadResponseOnly: true,
      resultSelector: { 'bucket.$': '$.bucket', 'key.$': '$.key' },
      resultPath: '$.keyFile',
    });
    const keyFileUri = sfn.JsonPath.format(
      's3://{}/{}',
      sfn.JsonPath.stringAt('$.keyFile.bucket'),
      sfn.JsonPath.stringAt('$.keyFile.key'),
    );
    const key = this.sqlStep('Setup: key (once)', clusterArn, {
      action: 'batchExecuteStatement',
      parameters: {
        ...asAdmin,
        Sqls: sfn.JsonPath.array(
          ...keySql.map((sql) => {
            const parts = sql
              .replace(/\\/g, '\\\\')
              .replace(/[{}]/g, (c) => `\\${c}`)
              .split(KEY_FILE_PLACEHOLDER);
            return parts.length === 1
              ? sql
              : sfn.JsonPath.format(parts.join('{}'), ...parts.slice(1).map(() => keyFileUri));
          }),
        ),
      },
    });
    const removeKeyFile = new tasks.CallAwsService(this, 'Setup: delete the key file', {
      service: 's3',
      action: 'deleteObject',
      parameters: { Bucket: this.keyDrop.bucket.bucketName, 'Key.$': '$.keyFile.key' },
      iamResources: [this.keyDrop.bucket.arnForObjects('hash-key/*')],
      iamAction: 's3:DeleteObject',
      resultPath: sfn.JsonPath.DISCARD,
    });
    const after = this.sqlStep('Setup: cloner user and grants', clusterArn, {
      action: 'batchExecuteStatement',
      parameters: { ...asAdmin, Sqls: setup.slice(keyAt + keySql.length) },
    });
    before.end.next(drawKey);
    drawKey.next(key.start);
    key.end.next(removeKeyFile);
    removeKeyFile.next(after.start);
    this.setupStateMachine = new sfn.StateMachine(this, 'Setup', {
      stateMachineName: names.stateMachineName('clone-setup'),
      definitionBody: sfn.DefinitionBody.fromChainable(before.start),
      tracingEnabled: true,
      timeout: CLONE_SETUP_TIMEOUT,
      logs: {
        destination: new logs.LogGroup(this, 'SetupLogs', {
          retention: logs.RetentionDays.ONE_YEAR,
          encryptionKey: vaultKey,
        }),
        level: sfn.LogLevel.ALL,
        // Never the key parameters of the setup in logs.
        includeExecutionData: false,
      },
    });
    this.setupStateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [adminSecretArn] }),
    );
    vaultKey.grantDecrypt(this.setupStateMachine);
    if (steps.length > 0) {
      // The data lake buckets are encrypted with the vault key; the job reads only the declared prefixes.
      vaultKey.grantDecrypt(this.role);
    }
    // The deploy waits for the setup and fails with its error: nothing is half-created. The publish job (and its
    // schedule) is created or changed only after the setup it needs succeeded.
    this.setupRun = new CloneSetupRun(this, 'SetupRun', {
      stateMachine: this.setupStateMachine,
      fingerprint: fingerprint(setup),
      setupTimeout: CLONE_SETUP_TIMEOUT,
      pollInterval: CLONE_POLL_INTERVAL,
      encryptionKey: vaultKey,
      logRetention: transfer.source.retention.logDays as logs.RetentionDays,
    });
    this.stateMachine.node.addDependency(this.setupRun.resource);
    if (steps.length > 0) {
      const logicalId = stack.getLogicalId(this.stateMachine.node.defaultChild as sfn.CfnStateMachine);
      const executions = `arn:${nagPartition(this)}:states:${stack.region}:${stack.account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId}"}]}]}`;
      for (const finding of [`${executions}:*`, `${executions}/*:*`]) {
        acknowledge(
          this.stateMachine,
          `AwsSolutions-IAM5[Resource::${finding}]`,
          "The Distributed Map's own child executions (Step Functions writes this policy for item processing).",
        );
      }
    }
    acknowledge(
      this.role,
      `AwsSolutions-IAM5[Resource::arn:${nagPartition(this)}:s3:::${transfer.exportBucket}/${transfer.snapshotPrefix}*]`,
      "Writes only this environment's snapshot keys of the export bucket; each run writes below a new run id.",
    );
    for (const o of props.objects ?? []) {
      acknowledge(
        this.role,
        `AwsSolutions-IAM5[Resource::arn:${nagPartition(this)}:s3:::${names.bucketName(o.role)}/${names.dataPrefix}${o.prefix}*]`,
        'Reads only a prefix the clone plan declares non-personal (reviewed allow-list).',
      );
    }
    for (const finding of ['Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*']) {
      acknowledge(
        this.role,
        `AwsSolutions-IAM5[${finding}]`,
        'Read actions of bucket.grantRead on declared non-personal prefixes only.',
      );
    }
    acknowledge(
      this.setupStateMachine,
      `AwsSolutions-IAM5[${resourceFinding(this, `${this.keyDrop.function.functionArn}:*`)}]`,
      'Invokes the key function of this job (any version of that one function), nothing else.',
    );
    acknowledge(
      this.setupStateMachine,
      `AwsSolutions-IAM5[${resourceFinding(this, this.keyDrop.bucket.arnForObjects('hash-key/*'))}]`,
      'Deletes the key file of its own run below hash-key/ of the key-drop bucket once the warehouse has loaded it.',
    );
    for (const machine of [this.role, this.setupStateMachine]) {
      acknowledge(
        machine,
        'AwsSolutions-IAM5[Resource::*]',
        'redshift-data:DescribeStatement has no resource-level permission; it only reads the status of statements this role submitted.',
      );
    }
  }

  /** Lets a production operator start a publication on demand. */
  public grantRun(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /** Submits SQL through the Redshift Data API and waits for it, failing the execution with Redshift's message. */
  private sqlStep(
    label: string,
    clusterArn: string,
    call: {
      readonly action: 'batchExecuteStatement' | 'executeStatement';
      readonly parameters: Record<string, unknown>;
    },
  ): { start: sfn.IChainable & sfn.INextable; end: sfn.INextable } {
    const submit = new tasks.CallAwsService(this, label, {
      service: 'redshiftdata',
      action: call.action,
      parameters: call.parameters,
      iamResources: [clusterArn],
      iamAction:
        call.action === 'executeStatement' ? 'redshift-data:ExecuteStatement' : 'redshift-data:BatchExecuteStatement',
      resultSelector: { 'id.$': '$.Id' },
      resultPath: '$.statement',
    });
    const wait = new sfn.Wait(this, `${label}: wait`, { time: sfn.WaitTime.duration(CLONE_POLL_INTERVAL) });
    const describe = new tasks.CallAwsService(this, `${label}: status`, {
      service: 'redshiftdata',
      action: 'describeStatement',
      parameters: { 'Id.$': '$.statement.id' },
      iamResources: ['*'],
      iamAction: 'redshift-data:DescribeStatement',
      // The whole DescribeStatement answer stays in the state, never in a failure's cause: it holds the statement's
      // parameters, which for the setup's key step are the key itself.
      resultSelector: { 'id.$': '$.Id', 'status.$': '$.Status', 'detail.$': '$' },
      resultPath: '$.statement',
    });
    // Redshift's message only (the Fail state takes a path; local and real engines agree on a Pass before it).
    const failed = new sfn.Pass(this, `${label}: error`, {
      parameters: {
        cause: sfn.JsonPath.format(`${label}: {}`, sfn.JsonPath.stringAt('$.statement.detail.Error')),
      },
    }).next(
      new sfn.Fail(this, `${label}: failed`, {
        error: 'CloneStatementFailed',
        causePath: sfn.JsonPath.stringAt('$.cause'),
      }),
    );
    const aborted = new sfn.Fail(this, `${label}: aborted`, {
      error: 'CloneStatementAborted',
      cause: `${label}: the statement was aborted (cancelled) before it finished`,
    });
    const done = new sfn.Pass(this, `${label}: done`, { resultPath: sfn.JsonPath.DISCARD });
    submit.next(wait);
    wait.next(describe);
    describe.next(
      new sfn.Choice(this, `${label}: finished?`)
        .when(sfn.Condition.stringEquals('$.statement.status', 'FINISHED'), done)
        .when(sfn.Condition.stringEquals('$.statement.status', 'FAILED'), failed)
        .when(sfn.Condition.stringEquals('$.statement.status', 'ABORTED'), aborted)
        .otherwise(wait),
    );
    return { start: submit, end: done };
  }

  /**
   * Removes every file below the failed run's prefix (list, delete each listed file, list again until none is left),
   * then fails with the error that started the cleanup. An inline Map: the local runner executes it, and a failed
   * run holds a few files per table plus the copied objects (each file costs about five history events).
   */
  private cleanupSteps(exportBucket: s3.IBucket): sfn.IChainable {
    const transfer = this.transfer;
    const list = new tasks.CallAwsService(this, 'Cleanup: list the failed run', {
      service: 's3',
      action: 'listObjectsV2',
      parameters: {
        Bucket: transfer.exportBucket,
        Prefix: sfn.JsonPath.format(`${transfer.snapshotPrefix}{}/`, sfn.JsonPath.stringAt('$.run')),
        MaxKeys: 1000,
      },
      iamResources: [exportBucket.bucketArn],
      iamAction: 's3:ListBucket',
      resultSelector: { 'count.$': '$.KeyCount', 'contents.$': '$' },
      resultPath: '$.listing',
    });
    const remove = new tasks.CallAwsService(this, 'Cleanup: remove a file', {
      service: 's3',
      action: 'deleteObject',
      parameters: { Bucket: transfer.exportBucket, 'Key.$': '$.key' },
      iamResources: [exportBucket.arnForObjects(`${transfer.snapshotPrefix}*`)],
      iamAction: 's3:DeleteObject',
      resultPath: sfn.JsonPath.DISCARD,
    });
    remove.addRetry({
      errors: ['S3.SlowDownException', 'S3.S3Exception'],
      maxAttempts: 6,
      jitterStrategy: sfn.JitterType.FULL,
    });
    const each = new sfn.Map(this, 'Cleanup: remove the listed files', {
      itemsPath: '$.listing.contents.Contents',
      itemSelector: { 'key.$': '$$.Map.Item.Value.Key' },
      maxConcurrency: 10,
      resultPath: sfn.JsonPath.DISCARD,
    });
    each.itemProcessor(remove);
    const failed = new sfn.Fail(this, 'The run failed (its files were removed)', {
      errorPath: sfn.JsonPath.stringAt('$.failure.Error'),
      causePath: sfn.JsonPath.stringAt('$.failure.Cause'),
    });
    each.next(list);
    list.next(
      new sfn.Choice(this, 'Cleanup: files left?')
        .when(sfn.Condition.numberGreaterThan('$.listing.count', 0), each)
        .otherwise(failed),
    );
    return list;
  }

  /** Copies one declared non-personal prefix into the run (server-side CopyObject per object, Distributed Map). */
  private objectsStep(index: number, o: PublishedObjects, exportBucket: s3.IBucket): sfn.DistributedMap {
    const transfer = this.transfer;
    const source = s3.Bucket.fromBucketName(this, `Source${index}`, transfer.sourceNames.bucketName(o.role));
    const sourcePrefix = `${transfer.sourceNames.dataPrefix}${o.prefix}`;
    const targetKeys = `${transfer.snapshotPrefix}*`;
    const copy = new tasks.CallAwsService(this, `Copy ${o.role}:${o.prefix}`, {
      service: 's3',
      action: 'copyObject',
      parameters: {
        Bucket: transfer.exportBucket,
        Key: sfn.JsonPath.format(
          `${transfer.snapshotPrefix}{}/objects/${o.role}/{}`,
          sfn.JsonPath.stringAt('$.run'),
          sfn.JsonPath.stringAt('$.key'),
        ),
        CopySource: sfn.JsonPath.format(`${source.bucketName}/{}`, sfn.JsonPath.stringAt('$.key')),
      },
      iamResources: [exportBucket.arnForObjects(targetKeys)],
      iamAction: 's3:PutObject',
      resultPath: sfn.JsonPath.DISCARD,
    });
    copy.addRetry({
      errors: ['S3.SlowDownException', 'S3.S3Exception'],
      maxAttempts: 6,
      jitterStrategy: sfn.JitterType.FULL,
    });
    const map = new sfn.DistributedMap(this, `Publish ${o.role}:${o.prefix}`, {
      itemReader: new sfn.S3ObjectsItemReader({ bucket: source, prefix: sourcePrefix }),
      itemSelector: { 'key.$': '$$.Map.Item.Value.Key', 'run.$': '$.run' },
      maxConcurrency: 100,
      mapExecutionType: sfn.StateMachineType.EXPRESS,
      resultPath: sfn.JsonPath.DISCARD,
    });
    map.itemProcessor(copy);
    source.grantRead(this.role, `${sourcePrefix}*`);
    return map;
  }
}
