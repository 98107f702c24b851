import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { packagePath } from '../../lib/package-root';
import { acknowledge, nagPartition, resourceFinding } from '../core/nag';
import { nodeRuntime, settleNodeRuntime, settleProviderRuntimes } from '../core/runtime';

/** The deploy-time handlers of the clone setup run (lambda/clone-setup). */
export const CLONE_SETUP_CODE = packagePath('lambda/clone-setup');

/** Props of a {@link CloneSetupRun}. */
export interface CloneSetupRunProps {
  /** The setup state machine the deploy runs and waits for. */
  readonly stateMachine: sfn.StateMachine;
  /** Digest of the setup statements: a new value runs the setup again on the next deploy. */
  readonly fingerprint: string;
  /** The longest the setup can run: its state machine's own timeout, after which Step Functions ends it TIMED_OUT. */
  readonly setupTimeout: Duration;
  /** How often the setup polls the Data API for a statement; the deploy asks for the execution's status as often. */
  readonly pollInterval: Duration;
  /** KMS key that encrypts the log groups of the handlers and the waiter (the environment's vault key). */
  readonly encryptionKey: kms.IKey;
  /** How long those log groups keep their events. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * Runs the clone setup state machine on deploy and waits for it: a custom resource (`Custom::CloneSetup`) served by
 * an asynchronous provider whose `onEvent` starts the execution (on create, and on update when the setup fingerprint
 * changed) and whose `isComplete` polls DescribeExecution. The resource, and so the deploy, fails with the
 * execution's error and cause when the setup fails, times out or is aborted. Its handlers may start executions of
 * this one state machine and read those executions, nothing else.
 */
export class CloneSetupRun extends Construct {
  public readonly resource: CustomResource;
  public readonly provider: cr.Provider;
  /** How long the deploy waits at most: the setup's timeout plus two polls, so the execution always ends first. */
  public readonly totalTimeout: Duration;

  constructor(scope: Construct, id: string, props: CloneSetupRunProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = (logId: string) =>
      new logs.LogGroup(this, logId, {
        retention: props.logRetention,
        encryptionKey: props.encryptionKey,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    const handler = (handlerId: string, entry: 'onEvent' | 'isComplete', what: string) => {
      const logs = logGroup(`${handlerId}Logs`);
      const role = new iam.Role(this, `${handlerId}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `${what} (${stack.stackName})`,
      });
      logs.grantWrite(role);
      const fn = new lambda.Function(this, handlerId, {
        description: `cdk-kitchens: ${what}`,
        runtime: nodeRuntime(this),
        architecture: lambda.Architecture.ARM_64,
        handler: `index.${entry}`,
        code: lambda.Code.fromAsset(CLONE_SETUP_CODE),
        timeout: Duration.seconds(30),
        memorySize: 256,
        role,
        logGroup: logs,
      });
      settleNodeRuntime(fn);
      return { fn, role };
    };
    const { fn: onEvent } = handler('OnEvent', 'onEvent', 'starts the clone setup state machine on deploy');
    const { fn: isComplete, role: isCompleteRole } = handler(
      'IsComplete',
      'isComplete',
      'reads the status of the deploy-time clone setup run',
    );
    props.stateMachine.grantStartExecution(onEvent);
    props.stateMachine.grantExecution(isComplete, 'states:DescribeExecution');

    // The setup ends by itself within its timeout (TIMED_OUT at the latest): wait that long plus two polls, so the
    // deploy reports the execution's own end rather than the provider's "Operation timed out".
    this.totalTimeout = Duration.seconds(props.setupTimeout.toSeconds() + 2 * props.pollInterval.toSeconds());
    const frameworkLogs = logGroup('FrameworkLogs');
    const frameworkRole = (roleId: string, what: string) => {
      const role = new iam.Role(this, roleId, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `${what} of the deploy-time clone setup run (${stack.stackName})`,
      });
      frameworkLogs.grantWrite(role);
      return role;
    };
    const onEventFrameworkRole = frameworkRole('FrameworkOnEventRole', 'Custom resource framework (onEvent)');
    const completeFrameworkRole = frameworkRole(
      'FrameworkCompleteRole',
      'Custom resource framework (isComplete and timeout)',
    );
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: props.pollInterval,
      totalTimeout: this.totalTimeout,
      frameworkOnEventRole: onEventFrameworkRole,
      frameworkCompleteAndTimeoutRole: completeFrameworkRole,
      logGroup: frameworkLogs,
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: {
        destination: logGroup('WaiterLogs'),
        level: sfn.LogLevel.ALL,
        // The waiter's input is the CloudFormation request, with its pre-signed response URL: never in logs.
        includeExecutionData: false,
      },
    });
    // The framework's functions take their runtime from a regional fact; cdk-nag compares with Runtime.ALL.
    settleProviderRuntimes(this.provider);
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::CloneSetup',
      properties: { StateMachineArn: props.stateMachine.stateMachineArn, Fingerprint: props.fingerprint },
    });

    const machine = stack.getLogicalId(props.stateMachine.node.defaultChild as sfn.CfnStateMachine);
    acknowledge(
      isCompleteRole,
      `AwsSolutions-IAM5[Resource::arn:${nagPartition(this)}:states:${stack.region}:${stack.account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machine}"}]}]}:*]`,
      'DescribeExecution on the executions of the clone setup state machine only; their ARNs end in a name chosen per deploy, so they cannot be listed in advance.',
    );
    // What the provider framework (aws-cdk-lib) grants its own functions and waiter: invoking exactly the functions
    // of this provider, in any version (`ARN:*`), and the CloudWatch Logs delivery actions of Step Functions logging.
    const framework = (child: string) => this.provider.node.findChild(child) as lambda.Function;
    const invoked: Array<[Construct, lambda.IFunction[]]> = [
      [
        this.provider.node.findChild('waiter-state-machine'),
        [framework('framework-isComplete'), framework('framework-onTimeout')],
      ],
      ...[onEventFrameworkRole, completeFrameworkRole].map((r): [Construct, lambda.IFunction[]] => [
        r,
        [onEvent, isComplete],
      ]),
    ];
    for (const [grantee, functions] of invoked) {
      for (const fn of functions) {
        acknowledge(
          grantee,
          `AwsSolutions-IAM5[${resourceFinding(this, `${fn.functionArn}:*`)}]`,
          `The custom resource framework invokes ${fn.node.id} of this provider (any version of that one function), nothing else.`,
        );
      }
    }
    const waiter = this.provider.node.findChild('waiter-state-machine');
    acknowledge(
      waiter,
      'AwsSolutions-IAM5[Resource::*]',
      "CloudWatch Logs delivery actions (logs:CreateLogDelivery and the like) that Step Functions logging needs; they support no resource-level permission. The waiter's other right is invoking this provider's own framework functions.",
    );
    acknowledge(
      waiter,
      'AwsSolutions-SF2',
      "The provider framework's waiter only retries one Lambda call (the isComplete check) on an interval; its executions are logged (without data) and the handlers log each status, so X-Ray traces would add nothing. aws-cdk-lib's Provider offers no tracing option.",
    );
  }
}
