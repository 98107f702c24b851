/**
 * A pipeline compiled to one Step Functions state machine: steps as fragments ordered by the DAG (independent steps
 * in Parallel states), every test a state, results in the execution output and the history table, alerts to the
 * environment's topic, logging to an encrypted log group, X-Ray tracing, and an optional schedule. Statements and
 * tests run in two shared child machines (runners.ts), so the pipeline's history and definition grow by a few
 * events and bytes per step whatever the statements' durations.
 */
import { ArnFormat, CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { planStepIds, planSteps, PlanNode, StagedPlan } from '../../lib/pipeline/graph';
import {
  checkDefinitionSize,
  checkLimits,
  MERGE_FAN_IN,
  pipelineStages,
  SETUP_POLL_PLAN,
  STAGE_WEIGHT,
} from '../../lib/pipeline/limits';
import { renderPipeline } from '../../lib/pipeline/loader';
import type { PipelineDefinition, StepDefinition } from '../../lib/pipeline/model';
import { historySetupStatements, runRecordStatement } from '../../lib/pipeline/sql';
import { AssetDefinitionBody, definitionStringOf, MeasuredDefinitionBody } from './definition-size';
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

export type { PipelineTarget } from './target';

/** Props of a {@link Pipeline}. */
export interface PipelineProps {
  /** The validated pipeline, with `{{variables}}` not yet rendered (they are rendered with `target.variables`). */
  readonly definition: PipelineDefinition;
  /** The environment or Kitchen resources the pipeline runs against. */
  readonly target: PipelineTarget;
  /**
   * Largest stage machine, by weight (a step counts 1, each of its tests 1 more, and at least its worst-case history
   * events / 100): a heavier pipeline runs as stage child machines started one after another by its own machine.
   * A positive integer.
   * @default - 200 (`STAGE_WEIGHT`): at most about 600 KB of definition per stage with a test on every step
   */
  readonly stageWeight?: number;
  /**
   * Where the definitions of the pipeline's own machine and of its stage machines are stored: `asset`, as a file
   * asset the template points to (`DefinitionS3Location` with `DefinitionSubstitutions` for the references), so the
   * template holds a few hundred bytes per machine whatever the pipeline's size; `inline`, as `DefinitionString` in
   * the template. The `Run SQL` and `Evaluate test` runners (a few KB each) are always inline.
   * @default 'asset'
   */
  readonly definitionStorage?: 'asset' | 'inline';
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
  /**
   * Stage child machines, in order, when the pipeline is too large for one machine (see `STAGE_WEIGHT`): the
   * pipeline's machine then runs them one after another. Empty for a pipeline that is one machine.
   */
  public readonly stages: sfn.StateMachine[] = [];
  /** Definition bytes of every machine of the pipeline as the 1 MB check computed them, by state machine name. */
  public readonly definitionSizes: Readonly<Record<string, number>>;

  private parallels = 0;
  /** Whether the pipeline runs stage machines (then its own Parallel states hold stage Tasks, not steps). */
  private readonly staged: boolean;
  private readonly stageNames: readonly string[];

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const { target } = props;
    this.definition = renderPipeline(props.definition, target.variables);
    this.plan = planSteps(this.definition.steps);
    const stageWeight = props.stageWeight ?? STAGE_WEIGHT;
    if (!Number.isInteger(stageWeight) || stageWeight < 1) {
      throw new Error(`Pipeline ${this.node.path}: stageWeight must be a positive integer, got: ${stageWeight}`);
    }
    checkLimits(this.definition, this.plan, target.historyTable, stageWeight);
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
    // A failed run records itself (once, here in the pipeline's own machine, never in a stage) before it fails.
    const failure = runFailureHandler(this, context, (fail) =>
      this.recordRun(context, 'RecordFailure', 'Record failed run', true, fail),
    );
    // The history tables are prepared for every run: each run records itself in the runs table.
    let chain = sfn.Chain.start(start).next(this.historySetup(context, failure));
    const stages = pipelineStages(this.definition, this.plan, stageWeight);
    this.staged = stages !== undefined;
    const stageChains = (stages?.stages ?? []).map((stage, i) => {
      const scope = new Construct(this, `Stage${i + 1}`);
      const name = target.names.stateMachineName(`${this.definition.id}_stage${i + 1}`);
      return { scope, name, chain: this.stageChain(scope, i + 1, stage, context) };
    });
    this.stageNames = stageChains.map((s) => s.name);
    chain = chain.next(
      this.compile(
        stages?.staged ?? this.plan,
        context,
        failureTargets(this, 'Run', 'Run', failure.alert, failure.fail),
        failure,
      ),
    );
    chain = chain.next(
      this.recordRun(
        context,
        'Record',
        'Record run',
        false,
        new sfn.Pass(this, 'Report', {
          stateName: 'Report results',
          parameters: { 'run.$': PATHS.run, 'tests.$': PATHS.tests, status: 'succeeded' },
        }),
      ),
    );

    const stateMachineName = target.names.stateMachineName(this.definition.id);
    const sizes: Record<string, number> = {};
    const storage = props.definitionStorage ?? 'asset';
    if (storage !== 'asset' && storage !== 'inline') {
      throw new Error(
        `Pipeline ${this.node.path}: definitionStorage must be 'asset' or 'inline', got: ${JSON.stringify(storage)}`,
      );
    }
    const machine = (scope: Construct, name: string, body: sfn.IChainable, comment: string) => {
      const measured = storage === 'asset' ? new AssetDefinitionBody(body) : new MeasuredDefinitionBody(body);
      const logGroup = new logs.LogGroup(scope, 'Logs', {
        logGroupName: `/aws/vendedlogs/states/${name}`,
        encryptionKey: target.encryptionKey,
        retention: target.logRetentionDays as logs.RetentionDays,
      });
      const stateMachine = new sfn.StateMachine(scope, 'Resource', {
        stateMachineName: name,
        comment,
        definitionBody: measured,
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
        tracingEnabled: true,
        // Declared once for the whole machine: states then leave it out (about 30 bytes each).
        queryLanguage: sfn.QueryLanguage.JSON_PATH,
      });
      sizes[name] = measured.bytes;
      if (measured instanceof AssetDefinitionBody && Object.keys(measured.substitutions).length > 0) {
        (stateMachine.node.defaultChild as sfn.CfnStateMachine).definitionSubstitutions = measured.substitutions;
      }
      return { stateMachine, logGroup };
    };
    const main = machine(
      this,
      stateMachineName,
      chain,
      this.definition.description ?? `Pipeline ${this.definition.id} (${this.definition.source})`,
    );
    this.stateMachine = main.stateMachine;
    this.logGroup = main.logGroup;
    this.runners = new PipelineRunners(this, 'Runners', { definition: this.definition, target });
    for (const runner of [this.runners.sql, this.runners.test]) {
      sizes[(runner.node.defaultChild as sfn.CfnStateMachine).stateMachineName!] = definitionBytes(runner);
    }
    stageChains.forEach((stage, i) => {
      const { stateMachine } = machine(
        stage.scope,
        stage.name,
        stage.chain,
        `Pipeline ${this.definition.id}, stage ${i + 1} of ${stageChains.length}`,
      );
      this.stages.push(stateMachine);
    });
    this.definitionSizes = sizes;
    for (const [name, size] of Object.entries(sizes)) {
      checkDefinitionSize(this.definition.source, size, name);
    }
    const stepsOf = (node: PlanNode): StepDefinition[] => {
      const ids = new Set(planStepIds(node));
      return this.definition.steps.filter((s) => ids.has(s.id));
    };
    this.grant(
      this.stateMachine,
      stages ? [] : this.definition.steps,
      context,
      stages ? ['sql', ...this.stages.map((_, i) => `stage${i + 1}`)] : ['sql', 'test'],
    );
    this.stages.forEach((stage, i) => this.grant(stage, stepsOf(stages!.stages[i]), context, ['sql', 'test']));
    for (const m of [this.stateMachine, ...this.stages]) dependOnPolicyOnly(m);

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

  /**
   * The chain of one stage machine: its steps with the run's failure handling (a failure alerts, then fails the
   * stage execution with the step's error and cause) and its results.
   */
  private stageChain(scope: Construct, n: number, stage: PlanNode, context: CompileContext): sfn.Chain {
    const failure = runFailureHandler(scope, context);
    const start = new sfn.Pass(scope, 'Start', {
      stateName: `Start stage ${n}`,
      parameters: { 'run.$': PATHS.run, tests: {} },
    });
    const chain = sfn.Chain.start(start).next(
      this.compile(stage, context, failureTargets(scope, 'Run', 'Run', failure.alert, failure.fail), failure),
    );
    return chain.next(
      new sfn.Pass(scope, 'Results', {
        stateName: `Stage ${n} results`,
        parameters: { 'run.$': PATHS.run, 'tests.$': PATHS.tests },
      }),
    );
  }

  /**
   * The pipeline's state that runs one stage machine and merges its test results. A failed stage has alerted
   * already: its own error and cause go to `alerted` (the run's Fail state, or a branch's). A stage that could not
   * start goes to `notAlerted` as `Kitchens.StageNotStarted`.
   */
  private stageTask(
    index: number,
    stage: PlanNode,
    alerted: sfn.IChainable,
    notAlerted: sfn.IChainable,
  ): sfn.IChainable {
    const n = index + 1;
    const scope = new Construct(this, `RunStage${n}`);
    const ids = planStepIds(stage);
    const label = `Stage ${n}: ${ids.length === 1 ? ids[0] : `${ids[0]} .. ${ids[ids.length - 1]}`} (${ids.length} ${ids.length === 1 ? 'step' : 'steps'})`;
    const ref = sfn.StateMachine.fromStateMachineArn(
      scope,
      'Ref',
      Stack.of(this).formatArn({
        service: 'states',
        resource: 'stateMachine',
        resourceName: this.stageNames[index],
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    const run = startChild(
      scope,
      'Run',
      label.length > 80 ? `${label.slice(0, 77)}...` : label,
      ref,
      { 'run.$': PATHS.run },
      { resultSelector: { 'tests.$': '$.Output.tests' }, resultPath: '$.stage' },
    );
    catchChild(
      run,
      failureTargets(scope, 'Stage', `Stage ${n}`, alerted),
      describeFailure(
        scope,
        'Caught',
        `Failed: stage ${n}`,
        'Kitchens.StageNotStarted',
        `States.Format('Stage ${n}: {}: {}', $.failure.Error, $.failure.Cause)`,
        notAlerted,
      ),
    );
    return sfn.Chain.start(run).next(
      new sfn.Pass(scope, 'Merge', {
        stateName: `Stage ${n} merged`,
        parameters: { 'run.$': PATHS.run, 'tests.$': `States.JsonMerge(${PATHS.tests}, $.stage.tests, false)` },
      }),
    );
  }

  /**
   * The run's row in the runs table (lib/pipeline/sql.ts `runRecordStatement`), written by a `Run SQL` child execution
   * from the pipeline's own machine: its id and start, the time this state was entered as its end, and the execution
   * ARN, all as Data API parameters. The outcome is `failed` on the failure path, else decided from the run's test
   * rows. A write that fails is caught and the run goes on to `next` unchanged: recording never changes an outcome.
   */
  private recordRun(
    context: CompileContext,
    id: string,
    label: string,
    failed: boolean,
    next: sfn.IChainable,
  ): sfn.IChainable {
    const scope = new Construct(this, id);
    const execute = startChild(
      scope,
      'Execute',
      label,
      context.runners.sql,
      {
        sql: runRecordStatement(context.target.historyTable, this.definition.id, failed),
        parameters: [
          { Name: 'run_id', 'Value.$': PATHS.runId },
          { Name: 'started_at', 'Value.$': PATHS.startedAt },
          { Name: 'finished_at', 'Value.$': '$$.State.EnteredTime' },
          { Name: 'execution', 'Value.$': '$$.Execution.Id' },
          ...(failed
            ? [{ Name: 'cause', 'Value.$': "States.Format('{}: {}', $.failure.Error, $.failure.Cause)" }]
            : []),
        ],
        name: `${this.definition.id}: ${label}`,
        what: 'the run record',
        ...SETUP_POLL_PLAN,
      },
      { resultPath: sfn.JsonPath.DISCARD },
    );
    execute.addCatch(next, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    return execute.next(next);
  }

  /**
   * CREATE SCHEMA / TABLE IF NOT EXISTS for the test history and runs tables, once per run (a `Run SQL` child
   * execution).
   */
  private historySetup(context: CompileContext, failure: RunFailure): sfn.IChainable {
    const scope = new Construct(this, 'Setup');
    const label = 'Prepare run history';
    const execute = startChild(
      scope,
      'Execute',
      label,
      context.runners.sql,
      {
        sqls: historySetupStatements(context.target.historyTable),
        name: `${this.definition.id}: ${label}`,
        what: 'the test history setup',
        ...SETUP_POLL_PLAN,
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
    node: PlanNode | StagedPlan,
    context: CompileContext,
    onFailure: FailureTargets,
    run?: RunFailure,
  ): sfn.IChainable {
    switch (node.kind) {
      case 'stage':
        return this.stageTask(node.index, node.plan, run?.fail ?? onFailure.handler, onFailure.handler);
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
        const ids = stagedStepIds(node).join(', ');
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
            branchFailed,
          );
          parallel.branch(sfn.Chain.start(this.compile(branch, context, targets)).next(done));
        });
        if (run && this.staged) {
          // The branches run stages, which alert their own failures.
          parallel.addCatch(run.alert, { errors: ['Kitchens.StageNotStarted'], resultPath: PATHS.failure });
          parallel.addCatch(run.fail, { errors: [sfn.Errors.ALL], resultPath: PATHS.failure });
        } else if (run) {
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

  /**
   * Least privilege through the L2 grants for one machine of the pipeline (its own, or a stage) that runs `steps`;
   * the Task states add their own scoped statements. `children`: the suffixes of the child machines it starts.
   */
  private grant(
    machine: sfn.StateMachine,
    steps: readonly StepDefinition[],
    context: CompileContext,
    children: readonly string[],
  ): void {
    const { target } = context;
    const role = machine.role;
    // The Data API runs in the child machines: only they read the warehouse secret.
    target.alertTopic.grantPublish(machine);
    const objects = new Set<string>();
    const sources = new Map<string, { bucket: s3.IBucket; prefixes: Set<string> }>();
    for (const step of steps) {
      if (step.type === 'copy') {
        const from = target.dataLake.buckets[step.from.bucket];
        const to = target.dataLake.buckets[step.to.bucket];
        const source = `${target.dataLake.prefix}${step.from.prefix}`;
        // Not from.grantRead: its s3:List* would cover the whole bucket, other Kitchens' keys included. The copy
        // step's own Tasks allow s3:GetObject below the source prefix and s3:ListBucket on the bucket.
        from.encryptionKey?.grantDecrypt(machine);
        const listed = sources.get(step.from.bucket) ?? { bucket: from, prefixes: new Set<string>() };
        listed.prefixes.add(source).add(`${source}*`);
        sources.set(step.from.bucket, listed);
        to.grantPut(machine, `${target.dataLake.prefix}*`);
        objects.add(bucketObjectsFinding(from, `${target.dataLake.prefix}${step.from.prefix}*`, role));
        objects.add(bucketObjectsFinding(to, `${target.dataLake.prefix}*`, role));
      }
    }
    // Listing stays below the copy steps' source prefixes whatever else the role is granted (one Deny per bucket,
    // so two copy steps from one bucket do not deny each other's listing).
    for (const { bucket, prefixes } of sources.values()) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          actions: ['s3:ListBucket', 's3:ListBucketVersions'],
          resources: [bucket.bucketArn],
          conditions: { StringNotLike: { 's3:prefix': [...prefixes] } },
        }),
      );
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
    // execution name, so the grant ends in a wildcard limited to executions of this pipeline's own child machines.
    for (const suffix of children) {
      const executions = Stack.of(this).formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${context.target.names.stateMachineName(`${this.definition.id}_${suffix}`)}*`,
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
}

/**
 * StateMachine depends on its role and the role's policy; the role dependency is already implied by the RoleArn
 * reference (cfn-lint W3005). Keep only the policy, so the machine never starts before it may act.
 */
function dependOnPolicyOnly(stateMachine: sfn.StateMachine): void {
  const cfn = stateMachine.node.defaultChild as sfn.CfnStateMachine;
  const policy = stateMachine.role.node.tryFindChild('DefaultPolicy')?.node.defaultChild as CfnResource | undefined;
  if (policy) {
    cfn.addOverride('DependsOn', [policy.logicalId]);
  }
}

/** Size of the deployed definition: literal text plus 100 bytes for each reference (ARNs, names) CloudFormation fills. */
export function definitionBytes(stateMachine: sfn.StateMachine): number {
  const resolved: unknown = Stack.of(stateMachine).resolve(definitionStringOf(stateMachine));
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

function stagedStepIds(node: PlanNode | StagedPlan): string[] {
  switch (node.kind) {
    case 'stage':
      return planStepIds(node.plan);
    case 'step':
      return [node.id];
    case 'sequence':
      return (node.items as readonly (PlanNode | StagedPlan)[]).flatMap(stagedStepIds);
    case 'parallel':
      return (node.branches as readonly (PlanNode | StagedPlan)[]).flatMap(stagedStepIds);
  }
}
