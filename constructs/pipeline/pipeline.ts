/**
 * A pipeline compiled to one Step Functions state machine: steps as fragments ordered by the DAG (independent steps
 * in Parallel states), every test a state, results in the execution output and the history table, alerts to the
 * environment's topic, logging to an encrypted log group, X-Ray tracing, and an optional schedule. Statements and
 * tests run in two shared child machines (runners.ts), so the pipeline's history and definition grow by a few
 * events and bytes per step whatever the statements' durations.
 */
import { ArnFormat, CfnResource, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { planSteps, PlanNode } from '../../lib/pipeline/graph';
import {
  checkDefinitionSize,
  checkLimits,
  MERGE_FAN_IN,
  SETUP_MAX_POLLS,
  SETUP_POLL_SECONDS,
} from '../../lib/pipeline/limits';
import { renderPipeline } from '../../lib/pipeline/loader';
import type { PipelineDefinition } from '../../lib/pipeline/model';
import { historySetupStatements } from '../../lib/pipeline/sql';
import { PipelineRunners } from './runners';
import {
  catchChild,
  CompileContext,
  describeFailure,
  failureTargets,
  FailureTargets,
  PATHS,
  RunFailure,
  runFailureHandler,
  startChild,
} from './states';
import { stepFragment } from './step-fragments';
import type { PipelineTarget } from './target';
import {
  acknowledge,
  acknowledgeGrantWildcards,
  bucketObjectsFinding,
  resourceFinding,
  KMS_GRANT_ACTION_WILDCARDS,
  S3_GRANT_ACTION_WILDCARDS,
} from '../core/nag';
import { PipelineSchedule } from './schedule';
import { appendTestMetrics, pipelineIdentity } from '../observability/test-metrics';

export type { PipelineTarget } from './target';

/** Props of a {@link Pipeline}. */
export interface PipelineProps {
  /** The validated pipeline, with `{{variables}}` not yet rendered (they are rendered with `target.variables`). */
  readonly definition: PipelineDefinition;
  /** The environment or Kitchen resources the pipeline runs against. */
  readonly target: PipelineTarget;
}

export class Pipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  /** The `Run SQL` and `Evaluate test` child machines the pipeline's states start. */
  public readonly runners: PipelineRunners;
  /** Present when the pipeline declares a schedule. */
  public readonly schedule?: PipelineSchedule;
  /** The pipeline as compiled: variables rendered for this target. */
  public readonly definition: PipelineDefinition;
  /** The execution plan (series-parallel) the states follow. */
  public readonly plan: PlanNode;

  private parallels = 0;

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const { target } = props;
    this.definition = renderPipeline(props.definition, target.variables);
    this.plan = planSteps(this.definition.steps);
    checkLimits(this.definition, this.plan, target.historyTable);
    // The states reference the child machines by ARN; the machines are created after this one, so the pipeline's
    // own machine stays the first state machine of the template.
    const childArn = (suffix: string) =>
      Stack.of(this).formatArn({
        service: 'states',
        resource: 'stateMachine',
        resourceName: target.names.stateMachineName(`${this.definition.id}_${suffix}`),
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const context: CompileContext = {
      definition: this.definition,
      target,
      runners: {
        sql: sfn.StateMachine.fromStateMachineArn(this, 'SqlRunnerRef', childArn('sql')),
        test: sfn.StateMachine.fromStateMachineArn(this, 'TestRunnerRef', childArn('test')),
      },
    };

    const environment = target.variables.env ?? target.names.context.environment;
    const start = new sfn.Pass(this, 'Start', {
      stateName: `Start ${this.definition.id}`,
      parameters: {
        run: {
          'id.$': 'States.UUID()',
          'execution.$': '$$.Execution.Name',
          'startedAt.$': '$$.Execution.StartTime',
          pipeline: this.definition.id,
          environment,
        },
        tests: {},
      },
    });
    const failure = runFailureHandler(this, context);
    let chain = sfn.Chain.start(start);
    if (this.definition.steps.some((s) => s.tests.length > 0)) {
      chain = chain.next(this.historySetup(context, failure));
    }
    chain = chain.next(this.compile(this.plan, context, failureTargets(this, 'Run', 'Run', failure.alert), failure));
    // Observability (issue 14): the run's test results as CloudWatch metrics, one batch after the last step.
    chain = appendTestMetrics(this, chain, {
      definition: this.definition,
      identity: pipelineIdentity(target, this.definition.id),
      resultsPath: PATHS.tests,
    });
    chain = chain.next(
      new sfn.Pass(this, 'Report', {
        stateName: 'Report results',
        parameters: { 'run.$': PATHS.run, 'tests.$': PATHS.tests, status: 'succeeded' },
      }),
    );

    const stateMachineName = target.names.stateMachineName(this.definition.id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
      encryptionKey: target.encryptionKey,
      retention: target.logRetentionDays as logs.RetentionDays,
    });
    this.stateMachine = new sfn.StateMachine(this, 'Resource', {
      stateMachineName,
      comment: this.definition.description ?? `Pipeline ${this.definition.id} (${this.definition.source})`,
      definitionBody: sfn.DefinitionBody.fromChainable(chain),
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
      // Declared once for the whole machine: states then leave it out (about 30 bytes each).
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
    });
    this.runners = new PipelineRunners(this, 'Runners', { definition: this.definition, target });
    for (const machine of [this.stateMachine, this.runners.sql, this.runners.test]) {
      checkDefinitionSize(this.definition.source, definitionBytes(machine));
    }
    this.grant(context);
    this.dependOnPolicyOnly();

    if (this.definition.schedule) {
      this.schedule = new PipelineSchedule(this, 'Schedule', {
        stateMachine: this.stateMachine,
        expression: this.definition.schedule,
        enabled: target.schedulesEnabled,
        // The same text everywhere: whether it runs is the rule's State, the one declared divergence.
        description: `Runs pipeline ${this.definition.id} (enabled only where the environment runs schedules)`,
      });
    }
  }

  /** CREATE SCHEMA / TABLE IF NOT EXISTS for the test history, once per run (a `Run SQL` child execution). */
  private historySetup(context: CompileContext, failure: RunFailure): sfn.IChainable {
    const scope = new Construct(this, 'Setup');
    const label = 'Prepare test history';
    const execute = startChild(
      scope,
      'Execute',
      label,
      context.runners.sql,
      {
        sqls: historySetupStatements(context.target.historyTable),
        name: `${this.definition.id}: ${label}`,
        what: 'the test history setup',
        pollSeconds: SETUP_POLL_SECONDS,
        maxPolls: SETUP_MAX_POLLS,
      },
      { resultPath: sfn.JsonPath.DISCARD },
    );
    catchChild(
      execute,
      failureTargets(scope, 'Setup', label, failure.alert),
      describeFailure(
        scope,
        'Caught',
        `Failed: ${label}`,
        '',
        `States.Format('${label}: {}', $.failure.Cause)`,
        failure.alert,
      ),
    );
    return execute;
  }

  /**
   * Compiles a plan node. `onFailure` receives `{ Error, Cause }` of any failure in it: the run's alert at the top
   * level, a branch's Fail state inside a Parallel state. `run` is set at the top level only: top-level Parallel
   * states catch what their branches raise and hand it to the run's handler (already-alerted test failures skip
   * the alert).
   */
  private compile(
    node: PlanNode,
    context: CompileContext,
    onFailure: FailureTargets,
    run?: RunFailure,
  ): sfn.IChainable {
    switch (node.kind) {
      case 'step': {
        const step = this.definition.steps.find((s) => s.id === node.id)!;
        return stepFragment(this, `Step-${step.id}`, context, step, onFailure);
      }
      case 'sequence': {
        const [first, ...rest] = node.items.map((n) => this.compile(n, context, onFailure, run));
        return rest.reduce<sfn.Chain>((chain, next) => chain.next(next), sfn.Chain.start(first));
      }
      case 'parallel': {
        const n = ++this.parallels;
        const ids = stepIds(node).join(', ');
        const name = `In parallel ${n}: ${ids}`;
        const parallel = new sfn.Parallel(this, `Parallel${n}`, {
          stateName: name.length > 80 ? `${name.slice(0, 77)}...` : name,
        });
        node.branches.forEach((branch, i) => {
          const branchFailed = new sfn.Fail(this, `Parallel${n}Branch${i + 1}Failed`, {
            stateName: `Parallel ${n}: branch ${i + 1} failed`,
            errorPath: '$.failure.Error',
            causePath: '$.failure.Cause',
          });
          // A branch ends in a Pass that closes any open Choice default and keeps only what survives the branch
          // (run and test results), so the Parallel output stays small whatever the steps left in the state.
          const done = new sfn.Pass(this, `Parallel${n}Branch${i + 1}Done`, {
            stateName: `Parallel ${n}: branch ${i + 1} done`,
            parameters: { 'run.$': PATHS.run, 'tests.$': PATHS.tests },
          });
          const targets = failureTargets(
            this,
            `Parallel${n}Branch${i + 1}`,
            `Parallel ${n}: branch ${i + 1}`,
            branchFailed,
          );
          parallel.branch(sfn.Chain.start(this.compile(branch, context, targets)).next(done));
        });
        if (run) {
          parallel.addCatch(run.fail, { errors: ['Kitchens.TestFailed'], resultPath: PATHS.failure });
          parallel.addCatch(run.alert, { errors: [sfn.Errors.ALL], resultPath: PATHS.failure });
        }
        return sfn.Chain.start(parallel).next(this.merge(n, node.branches.length));
      }
    }
  }

  /** Merges the test results of `count` branches (the Parallel output array) back into one state. */
  private merge(n: number, count: number): sfn.Chain {
    const mergeOf = (paths: string[]): string =>
      paths.reduce((acc, p) => (acc === '' ? p : `States.JsonMerge(${acc}, ${p}, false)`), '');
    const first = Array.from({ length: Math.min(count, MERGE_FAN_IN) }, (_, i) => `$[${i}].tests`);
    const passes: sfn.Pass[] = [
      new sfn.Pass(this, `Merge${n}`, {
        stateName: `Merge results ${n}`,
        parameters: {
          'run.$': '$[0].run',
          'tests.$': first.length === 1 ? first[0] : mergeOf(first),
          ...(count > MERGE_FAN_IN ? { 'branches.$': '$' } : {}),
        },
      }),
    ];
    for (let from = MERGE_FAN_IN, part = 2; from < count; from += MERGE_FAN_IN - 1, part++) {
      const to = Math.min(count, from + MERGE_FAN_IN - 1);
      const paths = ['$.tests', ...Array.from({ length: to - from }, (_, i) => `$.branches[${from + i}].tests`)];
      passes.push(
        new sfn.Pass(this, `Merge${n}Part${part}`, {
          stateName: `Merge results ${n} (${part})`,
          parameters: {
            'run.$': '$.run',
            'tests.$': mergeOf(paths),
            ...(to < count ? { 'branches.$': '$.branches' } : {}),
          },
        }),
      );
    }
    return passes.slice(1).reduce<sfn.Chain>((chain, p) => chain.next(p), sfn.Chain.start(passes[0]));
  }

  /** Least privilege through the L2 grants; the Task states add their own scoped statements. */
  private grant(context: CompileContext): void {
    const { target } = context;
    const role = this.stateMachine.role;
    // The Data API runs in the child machines: only they read the warehouse secret.
    target.alertTopic.grantPublish(this.stateMachine);
    const objects = new Set<string>();
    for (const step of this.definition.steps) {
      if (step.type === 'copy') {
        const from = target.dataLake.buckets[step.from.bucket];
        const to = target.dataLake.buckets[step.to.bucket];
        from.grantRead(this.stateMachine, `${target.dataLake.prefix}${step.from.prefix}*`);
        to.grantPut(this.stateMachine, `${target.dataLake.prefix}*`);
        objects.add(bucketObjectsFinding(from, `${target.dataLake.prefix}${step.from.prefix}*`));
        objects.add(bucketObjectsFinding(to, `${target.dataLake.prefix}*`));
      }
    }
    acknowledgeGrantWildcards(
      role,
      {
        actions: [...(objects.size > 0 ? S3_GRANT_ACTION_WILDCARDS : []), ...KMS_GRANT_ACTION_WILDCARDS],
        resources: [...objects],
      },
      `Written by the L2 grants: copy steps of pipeline ${this.definition.id} read only below their source prefix and write ` +
        'only below the data prefix; the KMS wildcards are the data key actions the bucket, topic and secret grants need.',
    );
    // startExecution.sync reads and stops the executions it starts: their ARNs are the child machine's name and the
    // execution name, so the grant ends in a wildcard limited to executions of this pipeline's two child machines.
    for (const suffix of ['sql', 'test']) {
      const executions = Stack.of(this).formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${target.names.stateMachineName(`${this.definition.id}_${suffix}`)}*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      acknowledge(
        role,
        `AwsSolutions-IAM5[${resourceFinding(this, executions)}]`,
        `states:DescribeExecution and StopExecution of the executions pipeline ${this.definition.id} starts on its own ` +
          `${suffix} child machine (startExecution.sync); execution ARNs end in the execution name, so they cannot be listed.`,
      );
    }
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'redshift-data:DescribeStatement and GetStatementResult have no resource type (statement ids are not ARNs); ' +
        'X-Ray and CloudWatch Logs delivery actions require "*".',
    );
  }

  /**
   * StateMachine depends on its role and the role's policy; the role dependency is already implied by the RoleArn
   * reference (cfn-lint W3005). Keep only the policy, so the machine never starts before it may act.
   */
  private dependOnPolicyOnly(): void {
    const cfn = this.stateMachine.node.defaultChild as sfn.CfnStateMachine;
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy')?.node.defaultChild as
      CfnResource | undefined;
    if (policy) {
      cfn.addOverride('DependsOn', [policy.logicalId]);
    }
  }
}

/** Size of the deployed definition: literal text plus 100 bytes for each reference (ARNs, names) CloudFormation fills. */
export function definitionBytes(stateMachine: sfn.StateMachine): number {
  const cfn = stateMachine.node.defaultChild as sfn.CfnStateMachine;
  const resolved: unknown = Stack.of(stateMachine).resolve(cfn.definitionString);
  const measure = (value: unknown): number => {
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + measure(v), 0);
    if (value && typeof value === 'object') {
      const join = (value as Record<string, unknown>)['Fn::Join'];
      return join ? measure((join as unknown[])[1]) : 100;
    }
    return 0;
  };
  return measure(resolved);
}

function stepIds(node: PlanNode): string[] {
  switch (node.kind) {
    case 'step':
      return [node.id];
    case 'sequence':
      return node.items.flatMap(stepIds);
    case 'parallel':
      return node.branches.flatMap(stepIds);
  }
}
