/**
 * DataOps delivery metrics of one release environment, computed from what AWS records: the environment stack's
 * CloudFormation events (DescribeStackEvents), the commit each deploy carried (the deployment marker's
 * `ResourceProperties` in those events, see constructs/observability/deployment-marker.ts) and the runs of the
 * environment's pipelines (Step Functions ListExecutions). Pure functions over the API shapes: no SDK import.
 * docs/observability.md states each rule with a worked example that test/lib/observability/delivery.test.ts
 * reproduces.
 */

/** The fields of a CloudFormation `StackEvent` the metrics read (the SDK's names). */
export interface StackEventLike {
  readonly StackName?: string;
  readonly LogicalResourceId?: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceType?: string;
  readonly ResourceStatus?: string;
  readonly ResourceProperties?: string;
  readonly Timestamp?: Date | string;
}

/** The fields of a Step Functions `ExecutionListItem` the metrics read (the SDK's names). */
export interface ExecutionLike {
  readonly name?: string;
  readonly executionArn?: string;
  readonly status?: string;
  readonly startDate?: Date | string;
  readonly stopDate?: Date | string;
}

/** A commit and its committer date (ISO 8601, as `git log --format=%cI` prints it). */
export interface CommitTime {
  readonly commit: string;
  readonly committedAt: string;
}

/** The commits after `from` up to and including `to` (git's `from..to`), newest first, or why they are not known. */
export type CommitRange = { readonly commits: readonly CommitTime[] } | { readonly unavailable: string };

/** Reads a commit range from the repository's history (lib/observability/deployment.ts `gitCommitRange`). */
export type CommitRangeReader = (from: string, to: string) => CommitRange;

/** A commit a deploy delivered, with its lead time to that deploy's end. */
export interface CommitLeadTime extends CommitTime {
  readonly leadTimeSeconds: number;
}

/** How the lead time of a succeeded deploy was measured. */
export interface DeploymentLeadTime {
  /**
   * `commits`: every commit the deploy delivered (after the previously deployed commit, up to its own), from git;
   * `head commit`: its own commit only, because the range could not be read (`reason`).
   */
  readonly basis: 'commits' | 'head commit';
  readonly reason?: string;
  /** The commits counted, oldest first: none when the deploy delivered no new commit (a redeploy). */
  readonly commits: readonly CommitLeadTime[];
}

/** One stack operation that created or updated the environment stack. */
export interface Deployment {
  readonly startedAt: string;
  readonly endedAt: string;
  /** `succeeded` (CREATE_COMPLETE / UPDATE_COMPLETE) or `rolled back` (any rollback or failure status). */
  readonly outcome: 'succeeded' | 'rolled back';
  /** The stack status that ended the operation, such as UPDATE_COMPLETE or UPDATE_ROLLBACK_COMPLETE. */
  readonly status: string;
  /** The commit the deploy carried, from the marker's properties in the operation's events. */
  readonly commit?: string;
  readonly committedAt?: string;
  /** endedAt - committedAt of the deployed (head) commit, for a succeeded deploy with a known commit time. */
  readonly leadTimeSeconds?: number;
  /** The lead times of every commit the deploy delivered (succeeded deploys in the window with a known commit). */
  readonly leadTime?: DeploymentLeadTime;
  /** Why the deploy counts as a failed change: `rolled back`, or the failed first run of a pipeline after it. */
  readonly failure?: string;
}

/** A pipeline run, as the metrics see it. */
export interface PipelineRun {
  readonly pipeline: string;
  readonly name: string;
  readonly status: string;
  readonly startedAt: string;
  readonly stoppedAt?: string;
}

/** A failure and, once something succeeded again, its end. */
export interface Incident {
  /** `run`: a pipeline run failed; `deploy`: a deploy rolled back. */
  readonly kind: 'run' | 'deploy';
  /** The pipeline, or the stack. */
  readonly subject: string;
  readonly failedAt: string;
  readonly restoredAt?: string;
  readonly restoreSeconds?: number;
}

export interface DeliveryMetrics {
  readonly stack: string;
  readonly since: string;
  readonly until: string;
  readonly days: number;
  readonly deployments: readonly Deployment[];
  /** Succeeded deploys per day over the window. */
  readonly deploymentsPerDay: number;
  readonly deploymentsPerWeek: number;
  /**
   * Median lead time (seconds) over every commit the succeeded deploys delivered (`leadTime.commits` of each);
   * undefined when there is none.
   */
  readonly medianLeadTimeSeconds?: number;
  /** How many commit lead times the median is over. */
  readonly leadTimeCommits: number;
  /** Deploys counted as failed changes / all deploys (succeeded and rolled back); undefined without deploys. */
  readonly changeFailureRate?: number;
  readonly incidents: readonly Incident[];
  /** Median time to restore (seconds) of the incidents that ended; undefined when none ended. */
  readonly medianTimeToRestoreSeconds?: number;
}

/** Run statuses that count as a failed run. */
export const FAILED_RUN = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

const SUCCEEDED_STACK = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE']);
const FAILED_STACK = new Set([
  'CREATE_FAILED',
  'ROLLBACK_COMPLETE',
  'ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE',
  'UPDATE_ROLLBACK_FAILED',
]);
const STARTED_STACK = new Set(['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS']);
const ROLLING_BACK = new Set(['ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS']);

const iso = (t: Date | string | undefined): string => new Date(t ?? 0).toISOString();
const ms = (t: string): number => Date.parse(t);

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The commit in a marker event's ResourceProperties (`{"Name": ..., "Value": "{\"commit\":...}"}`), if any. */
function markerCommit(event: StackEventLike, markerName: string): { commit: string; committedAt: string } | undefined {
  if (event.ResourceType !== 'AWS::SSM::Parameter' || !event.ResourceProperties) return undefined;
  try {
    const properties = JSON.parse(event.ResourceProperties) as { Name?: unknown; Value?: unknown };
    if (properties.Name !== markerName || typeof properties.Value !== 'string') return undefined;
    const value = JSON.parse(properties.Value) as { commit?: unknown; committedAt?: unknown };
    if (typeof value.commit !== 'string' || typeof value.committedAt !== 'string') return undefined;
    return { commit: value.commit, committedAt: value.committedAt };
  } catch {
    return undefined;
  }
}

/**
 * The create and update operations of a stack, oldest first. `events` come as DescribeStackEvents returns them
 * (newest first). An operation starts with the stack's CREATE_IN_PROGRESS or UPDATE_IN_PROGRESS and ends with its
 * CREATE_COMPLETE / UPDATE_COMPLETE (succeeded) or a rollback or failure status (rolled back); its commit is the
 * first value the deployment marker (SSM parameter `markerName`) was given inside it.
 */
export function stackDeployments(
  events: readonly StackEventLike[],
  stackName: string,
  markerName: string,
): Deployment[] {
  const ordered = [...events].reverse();
  const deployments: Deployment[] = [];
  let open: { startedAt: string; commit?: { commit: string; committedAt: string } } | undefined;
  for (const event of ordered) {
    const status = event.ResourceStatus ?? '';
    const isStack = event.ResourceType === 'AWS::CloudFormation::Stack' && event.LogicalResourceId === stackName;
    if (!isStack) {
      const commit = markerCommit(event, markerName);
      if (open && commit && !open.commit && status.endsWith('_IN_PROGRESS')) open.commit = commit;
      continue;
    }
    if (STARTED_STACK.has(status)) {
      open = { startedAt: iso(event.Timestamp) };
    } else if (SUCCEEDED_STACK.has(status) || FAILED_STACK.has(status)) {
      const endedAt = iso(event.Timestamp);
      const succeeded = SUCCEEDED_STACK.has(status);
      const commit = open?.commit;
      const known = commit !== undefined && !Number.isNaN(Date.parse(commit.committedAt));
      deployments.push({
        startedAt: open?.startedAt ?? endedAt,
        endedAt,
        outcome: succeeded ? 'succeeded' : 'rolled back',
        status,
        ...(commit ? { commit: commit.commit, committedAt: commit.committedAt } : {}),
        ...(succeeded && known
          ? { leadTimeSeconds: Math.round((ms(endedAt) - Date.parse(commit.committedAt)) / 1000) }
          : {}),
        ...(succeeded ? {} : { failure: 'rolled back' }),
      });
      open = undefined;
    }
  }
  return deployments;
}

/** When each rolled-back deploy started rolling back (its *ROLLBACK_IN_PROGRESS event), by the deploy's end. */
function rollbackStarts(events: readonly StackEventLike[], stackName: string): string[] {
  return [...events]
    .reverse()
    .filter(
      (e) =>
        e.ResourceType === 'AWS::CloudFormation::Stack' &&
        e.LogicalResourceId === stackName &&
        ROLLING_BACK.has(e.ResourceStatus ?? ''),
    )
    .map((e) => iso(e.Timestamp));
}

export function pipelineRuns(pipeline: string, executions: readonly ExecutionLike[]): PipelineRun[] {
  return executions.map((e) => ({
    pipeline,
    name: e.name ?? e.executionArn ?? '',
    status: e.status ?? 'UNKNOWN',
    startedAt: iso(e.startDate),
    ...(e.stopDate !== undefined ? { stoppedAt: iso(e.stopDate) } : {}),
  }));
}

/**
 * Marks each succeeded deploy that the first run of some pipeline after it failed: for every pipeline, the first
 * run that started after the deploy ended and before the next deploy started (or the window's end).
 */
function withRunFailures(
  deployments: readonly Deployment[],
  runs: readonly PipelineRun[],
  until: string,
): Deployment[] {
  const pipelines = [...new Set(runs.map((r) => r.pipeline))].sort();
  return deployments.map((d, i) => {
    if (d.outcome !== 'succeeded') return d;
    const end = ms(deployments[i + 1]?.startedAt ?? until);
    const failed: string[] = [];
    for (const pipeline of pipelines) {
      const first = runs
        .filter((r) => r.pipeline === pipeline && ms(r.startedAt) >= ms(d.endedAt) && ms(r.startedAt) < end)
        .sort((a, b) => ms(a.startedAt) - ms(b.startedAt))[0];
      if (first && FAILED_RUN.has(first.status))
        failed.push(`first run of ${pipeline} (${first.name}) ${first.status}`);
    }
    return failed.length > 0 ? { ...d, failure: failed.join('; ') } : d;
  });
}

/**
 * Incidents: a failed run of a pipeline opens one for that pipeline (unless one is open) at its stop time, and the
 * pipeline's next SUCCEEDED run closes it at its stop time; a rolled-back deploy is one from its rollback's start
 * to the rollback's end (the stack is back on the previous version).
 */
function incidentsOf(
  deployments: readonly Deployment[],
  rollbacks: readonly string[],
  runs: readonly PipelineRun[],
  stack: string,
): Incident[] {
  const incidents: Incident[] = [];
  const restored = (failedAt: string, restoredAt: string | undefined) =>
    restoredAt !== undefined ? { restoredAt, restoreSeconds: Math.round((ms(restoredAt) - ms(failedAt)) / 1000) } : {};
  for (const d of deployments.filter((x) => x.outcome === 'rolled back')) {
    // The rollback that started inside this operation.
    const failedAt = rollbacks.find((t) => ms(t) >= ms(d.startedAt) && ms(t) <= ms(d.endedAt)) ?? d.startedAt;
    incidents.push({ kind: 'deploy', subject: stack, failedAt, ...restored(failedAt, d.endedAt) });
  }
  const pipelines = [...new Set(runs.map((r) => r.pipeline))].sort();
  for (const pipeline of pipelines) {
    const ordered = runs
      .filter((r) => r.pipeline === pipeline && r.status !== 'RUNNING' && r.status !== 'PENDING_REDRIVE')
      .sort((a, b) => ms(a.startedAt) - ms(b.startedAt));
    let failedAt: string | undefined;
    for (const run of ordered) {
      if (FAILED_RUN.has(run.status) && failedAt === undefined) failedAt = run.stoppedAt ?? run.startedAt;
      else if (run.status === 'SUCCEEDED' && failedAt !== undefined) {
        incidents.push({
          kind: 'run',
          subject: pipeline,
          failedAt,
          ...restored(failedAt, run.stoppedAt ?? run.startedAt),
        });
        failedAt = undefined;
      }
    }
    if (failedAt !== undefined) incidents.push({ kind: 'run', subject: pipeline, failedAt });
  }
  return incidents.sort((a, b) => ms(a.failedAt) - ms(b.failedAt));
}

export interface DeliveryInput {
  readonly stackName: string;
  /** The deployment marker's parameter name (`/<project>/<environment>/deployment/commit`). */
  readonly markerName: string;
  /** DescribeStackEvents pages, concatenated (newest first). */
  readonly events: readonly StackEventLike[];
  /** Runs of the environment's pipelines (any order). */
  readonly runs: readonly PipelineRun[];
  readonly since: Date;
  readonly until: Date;
  /**
   * The repository's history, to find every commit a deploy delivered. @default - none: each deploy counts its own
   * (head) commit only, and says so
   */
  readonly commitRange?: CommitRangeReader;
}

const COMMIT_ID = /^[0-9a-f]{40}$/;

/**
 * The commits a succeeded deploy delivered, with their lead times to its end: git's `previous..deployed`, where
 * `previous` is the commit of the last succeeded deploy before it. Falls back to the deployed commit alone (with the
 * reason) without git history, without an earlier succeeded deploy, or when git cannot give the range (a shallow
 * clone, a commit it does not have).
 */
function deliveredCommits(
  deployment: Deployment,
  previous: Deployment | undefined,
  commitRange: CommitRangeReader | undefined,
): DeploymentLeadTime {
  const lead = (c: CommitTime): CommitLeadTime => ({
    ...c,
    leadTimeSeconds: Math.round((ms(deployment.endedAt) - Date.parse(c.committedAt)) / 1000),
  });
  const head = (reason: string): DeploymentLeadTime => ({
    basis: 'head commit',
    reason,
    commits: [lead({ commit: deployment.commit!, committedAt: deployment.committedAt! })],
  });
  if (!commitRange) return head('no git history to read the commits between deploys from');
  if (!previous) return head('no earlier succeeded deploy in the stack events read');
  if (!COMMIT_ID.test(previous.commit ?? ''))
    return head(`the previous deploy's commit is ${previous.commit ?? 'not recorded'}`);
  if (previous.commit === deployment.commit) return { basis: 'commits', commits: [] };
  const range = commitRange(previous.commit!, deployment.commit!);
  if ('unavailable' in range) return head(range.unavailable);
  return { basis: 'commits', commits: [...range.commits].reverse().map(lead) };
}

/**
 * The four metrics over the window [since, until): deploys are those that ended in it, incidents those that began
 * in it. Runs before the window still count for closing and for the first run after a deploy.
 */
export function deliveryMetrics(input: DeliveryInput): DeliveryMetrics {
  const since = input.since.toISOString();
  const until = input.until.toISOString();
  const inWindow = (t: string) => ms(t) >= ms(since) && ms(t) < ms(until);
  const all = withRunFailures(stackDeployments(input.events, input.stackName, input.markerName), input.runs, until);
  const deployments = all
    .map((d, i) => {
      if (!inWindow(d.endedAt) || d.leadTimeSeconds === undefined) return d;
      const previous = all
        .slice(0, i)
        .filter((p) => p.outcome === 'succeeded')
        .pop();
      return { ...d, leadTime: deliveredCommits(d, previous, input.commitRange) };
    })
    .filter((d) => inWindow(d.endedAt));
  const incidents = incidentsOf(all, rollbackStarts(input.events, input.stackName), input.runs, input.stackName).filter(
    (i) => inWindow(i.failedAt),
  );
  const days = (ms(until) - ms(since)) / 86_400_000;
  const succeeded = deployments.filter((d) => d.outcome === 'succeeded');
  const leadTimes = succeeded.flatMap((d) => (d.leadTime?.commits ?? []).map((c) => c.leadTimeSeconds));
  const restores = incidents.flatMap((i) => (i.restoreSeconds !== undefined ? [i.restoreSeconds] : []));
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    stack: input.stackName,
    since,
    until,
    days: round(days),
    deployments,
    deploymentsPerDay: round(succeeded.length / days),
    deploymentsPerWeek: round((succeeded.length / days) * 7),
    medianLeadTimeSeconds: median(leadTimes),
    leadTimeCommits: leadTimes.length,
    changeFailureRate:
      deployments.length > 0
        ? round(deployments.filter((d) => d.failure !== undefined).length / deployments.length)
        : undefined,
    incidents,
    medianTimeToRestoreSeconds: median(restores),
  };
}

/**
 * What people should know about the lead times: each succeeded deploy that counted its head commit only, and why;
 * each that delivered no new commit.
 */
export function leadTimeNotes(metrics: DeliveryMetrics): string[] {
  return metrics.deployments.flatMap((d) => {
    if (d.leadTime?.basis === 'head commit') {
      return [`lead time of the deploy that ended ${d.endedAt} counts its head commit only: ${d.leadTime.reason}`];
    }
    if (d.leadTime?.commits.length === 0) {
      return [
        `the deploy that ended ${d.endedAt} delivered no new commit: all of ${d.commit?.slice(0, 12)} was in the previous deploy`,
      ];
    }
    return [];
  });
}

/** `3d 4h`, `2h 5m`, `45s`: a duration for people. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const s = Math.round(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/**
 * `--since`: `30d` (days before `now`, 1 to 3650) or an ISO 8601 date or time (`2026-11-01`, `2026-11-01T08:00:00Z`)
 * before `now`. Returns the reason (a string) when the value is not one of those.
 */
export function parseSince(value: string, now: Date): Date | string {
  const days = /^(\d{1,4})d$/.exec(value);
  if (days) {
    const n = Number(days[1]);
    if (n < 1 || n > 3650) return 'a number of days must be from 1 to 3650';
    return new Date(now.getTime() - n * 86_400_000);
  }
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)) {
    const at = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
    const [y, m, d] = value.slice(0, 10).split('-').map(Number);
    // JavaScript rolls 2026-02-31 over to March 3: check the calendar date itself.
    if (Number.isNaN(at.getTime()) || new Date(Date.UTC(y, m - 1, d)).getUTCDate() !== d || m < 1 || m > 12)
      return 'it is not a real date';
    if (at.getTime() >= now.getTime()) return `it must be before now (${now.toISOString()})`;
    return at;
  }
  return 'it must be a number of days such as 30d, or an ISO 8601 date or time such as 2026-11-01 or 2026-11-01T08:00:00Z';
}
