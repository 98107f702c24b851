/**
 * The worked example of docs/observability.md ("kitchen metrics"): four deploys of acme-production in the week from
 * 2026-11-01 to 2026-11-08 and the runs of two pipelines, as DescribeStackEvents and ListExecutions return them
 * (field names and shapes of the CloudFormation StackEvent and Step Functions ExecutionListItem types). The commits
 * are real: a temporary git repository with seven commits at fixed committer dates, read by the reader `kitchen
 * metrics` uses.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  deliveryMetrics,
  formatDuration,
  leadTimeNotes,
  parseSince,
  pipelineRuns,
  type StackEventLike,
} from '../../../lib/observability/delivery';
import { gitCommitRange } from '../../../lib/observability/deployment';

/** The repository: one commit per name, in order, committed (GIT_COMMITTER_DATE) at the given time. */
const REPO = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-delivery-'));
const git = (args: string[], env: Record<string, string> = {}, cwd = REPO) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: REPO, ...env },
  }).trim();
git(['init', '-q', '-b', 'main']);
const HISTORY: readonly [string, string][] = [
  ['z', '2026-10-19T18:00:00Z'], // deployed when the stack was created (D0)
  ['a1', '2026-11-01T15:00:00Z'],
  ['a', '2026-11-02T08:00:00Z'], // D1
  ['b', '2026-11-03T09:00:00Z'], // D2, rolled back
  ['c', '2026-11-03T17:00:00Z'], // D3
  ['d1', '2026-11-05T10:00:00Z'],
  ['d', '2026-11-06T15:00:00Z'], // D4
];
const C: Record<string, { commit: string; committedAt: string }> = {};
for (const [name, at] of HISTORY) {
  fs.writeFileSync(path.join(REPO, 'change.txt'), name);
  git(['add', 'change.txt']);
  git(['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', name], {
    GIT_AUTHOR_DATE: at,
    GIT_COMMITTER_DATE: at,
  });
  // What the synth records: `git log -1 --format=%H %cI`
  const [commit, committedAt] = git(['log', '-1', '--format=%H %cI']).split(' ');
  C[name] = { commit, committedAt };
}
afterAll(() => fs.rmSync(REPO, { recursive: true, force: true }));

const STACK = 'acme-production';
const STACK_ID =
  'arn:aws:cloudformation:eu-west-1:111111111111:stack/acme-production/4f1c2d30-aa11-11ef-9c4e-0a1b2c3d4e5f';
const MARKER = '/acme/production/deployment/commit';

let n = 0;
const stack = (status: string, at: string, reason?: string): StackEventLike & Record<string, unknown> => ({
  StackId: STACK_ID,
  EventId: `0a1b2c3d-${++n}`,
  StackName: STACK,
  LogicalResourceId: STACK,
  PhysicalResourceId: STACK_ID,
  ResourceType: 'AWS::CloudFormation::Stack',
  Timestamp: new Date(at),
  ResourceStatus: status,
  ...(reason ? { ResourceStatusReason: reason } : {}),
});
const marker = (status: string, at: string, { commit, committedAt }: { commit: string; committedAt: string }) => ({
  StackId: STACK_ID,
  EventId: `DeployedCommit6E3D1A45-${status}-${at}`,
  StackName: STACK,
  LogicalResourceId: 'DeployedCommit6E3D1A45',
  PhysicalResourceId: MARKER,
  ResourceType: 'AWS::SSM::Parameter',
  Timestamp: new Date(at),
  ResourceStatus: status,
  ResourceProperties: JSON.stringify({
    Type: 'String',
    Description: 'cdk-kitchens acme-production: the git commit of the last deploy (read by kitchen metrics)',
    Value: JSON.stringify({ commit, committedAt }),
    Name: MARKER,
  }),
});
const resource = (id: string, type: string, status: string, at: string, reason?: string) => ({
  StackId: STACK_ID,
  EventId: `${id}-${status}-${at}`,
  StackName: STACK,
  LogicalResourceId: id,
  PhysicalResourceId: `${id.toLowerCase()}-physical`,
  ResourceType: type,
  Timestamp: new Date(at),
  ResourceStatus: status,
  ...(reason ? { ResourceStatusReason: reason } : {}),
});

/** Oldest first here; DescribeStackEvents returns them newest first (reversed below). */
const chronological = [
  // D0, before the window: the stack's creation.
  stack('CREATE_IN_PROGRESS', '2026-10-20T09:00:00Z', 'User Initiated'),
  marker('CREATE_IN_PROGRESS', '2026-10-20T09:01:00Z', C.z),
  marker('CREATE_COMPLETE', '2026-10-20T09:01:05Z', C.z),
  stack('CREATE_COMPLETE', '2026-10-20T09:30:00Z'),
  // D1: commit a, committed 08:00, deployed 10:00-10:06.
  stack('UPDATE_IN_PROGRESS', '2026-11-02T10:00:00Z', 'User Initiated'),
  marker('UPDATE_IN_PROGRESS', '2026-11-02T10:02:00Z', C.a),
  marker('UPDATE_COMPLETE', '2026-11-02T10:02:03Z', C.a),
  stack('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', '2026-11-02T10:05:00Z'),
  stack('UPDATE_COMPLETE', '2026-11-02T10:06:00Z'),
  // D2: commit b fails on a resource and rolls back to commit a.
  stack('UPDATE_IN_PROGRESS', '2026-11-03T14:00:00Z', 'User Initiated'),
  marker('UPDATE_IN_PROGRESS', '2026-11-03T14:01:00Z', C.b),
  marker('UPDATE_COMPLETE', '2026-11-03T14:01:02Z', C.b),
  resource('WarehouseCluster8A2E', 'AWS::Redshift::Cluster', 'UPDATE_IN_PROGRESS', '2026-11-03T14:02:00Z'),
  resource(
    'WarehouseCluster8A2E',
    'AWS::Redshift::Cluster',
    'UPDATE_FAILED',
    '2026-11-03T14:03:20Z',
    'Resource handler returned message: "Invalid node type"',
  ),
  stack(
    'UPDATE_ROLLBACK_IN_PROGRESS',
    '2026-11-03T14:03:30Z',
    'The following resource(s) failed to update: [WarehouseCluster8A2E].',
  ),
  marker('UPDATE_IN_PROGRESS', '2026-11-03T14:04:00Z', C.a),
  marker('UPDATE_COMPLETE', '2026-11-03T14:04:02Z', C.a),
  stack('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', '2026-11-03T14:10:00Z'),
  stack('UPDATE_ROLLBACK_COMPLETE', '2026-11-03T14:11:00Z'),
  // D3: commit c, committed the day before at 17:00, deployed 09:00-09:10.
  stack('UPDATE_IN_PROGRESS', '2026-11-04T09:00:00Z', 'User Initiated'),
  marker('UPDATE_IN_PROGRESS', '2026-11-04T09:01:00Z', C.c),
  marker('UPDATE_COMPLETE', '2026-11-04T09:01:02Z', C.c),
  stack('UPDATE_COMPLETE', '2026-11-04T09:10:00Z'),
  // D4: commit d, committed 15:00, deployed 16:00-16:20.
  stack('UPDATE_IN_PROGRESS', '2026-11-06T16:00:00Z', 'User Initiated'),
  marker('UPDATE_IN_PROGRESS', '2026-11-06T16:03:00Z', C.d),
  marker('UPDATE_COMPLETE', '2026-11-06T16:03:02Z', C.d),
  stack('UPDATE_COMPLETE', '2026-11-06T16:20:00Z'),
];
const EVENTS = [...chronological].reverse();

const execution = (machine: string, name: string, status: string, start: string, stop: string) => ({
  executionArn: `arn:aws:states:eu-west-1:111111111111:execution:${machine}:${name}`,
  stateMachineArn: `arn:aws:states:eu-west-1:111111111111:stateMachine:${machine}`,
  name,
  status,
  startDate: new Date(start),
  stopDate: new Date(stop),
});
const RUNS = [
  ...pipelineRuns(
    'orders',
    [
      execution('acme-production-orders', 'daily-1102', 'SUCCEEDED', '2026-11-02T06:00:00Z', '2026-11-02T06:20:00Z'),
      execution('acme-production-orders', 'daily-1103', 'FAILED', '2026-11-03T06:00:00Z', '2026-11-03T06:15:00Z'),
      execution('acme-production-orders', 'daily-1104', 'SUCCEEDED', '2026-11-04T06:00:00Z', '2026-11-04T06:30:00Z'),
      execution('acme-production-orders', 'daily-1105', 'SUCCEEDED', '2026-11-05T06:00:00Z', '2026-11-05T06:25:00Z'),
      execution('acme-production-orders', 'daily-1107', 'TIMED_OUT', '2026-11-07T06:00:00Z', '2026-11-07T08:00:00Z'),
    ].reverse(),
  ),
  ...pipelineRuns(
    'ingest',
    [
      execution('acme-production-ingest', 'ingest-1104', 'SUCCEEDED', '2026-11-04T12:00:00Z', '2026-11-04T12:04:00Z'),
      execution('acme-production-ingest', 'ingest-1105a', 'FAILED', '2026-11-05T12:00:00Z', '2026-11-05T12:05:00Z'),
      execution('acme-production-ingest', 'ingest-1105b', 'SUCCEEDED', '2026-11-05T18:00:00Z', '2026-11-05T18:10:00Z'),
    ].reverse(),
  ),
];

const WINDOW = { since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-11-08T00:00:00Z') };
const lead = (name: string, seconds: number) => ({ ...C[name], leadTimeSeconds: seconds });

/** The example's metrics, read with git, when D4's marker carried another commit and commit time. */
function withD4(commit: string, committedAt: string) {
  const events = chronological.map((e) =>
    'ResourceProperties' in e
      ? {
          ...e,
          ResourceProperties: (e.ResourceProperties as string)
            .replace(C.d.commit, commit)
            .replace(C.d.committedAt, committedAt),
        }
      : e,
  );
  return deliveryMetrics({
    stackName: STACK,
    markerName: MARKER,
    events: [...events].reverse(),
    runs: RUNS,
    ...WINDOW,
    commitRange: gitCommitRange(REPO),
  });
}

describe('delivery metrics: the worked example', () => {
  const metrics = deliveryMetrics({
    stackName: STACK,
    markerName: MARKER,
    events: EVENTS,
    runs: RUNS,
    ...WINDOW,
    commitRange: gitCommitRange(REPO),
  });

  it('should list the four deploys of the window with their commits, every delivered commit and failures', () => {
    expect(metrics.deployments).toStrictEqual([
      {
        startedAt: '2026-11-02T10:00:00.000Z',
        endedAt: '2026-11-02T10:06:00.000Z',
        outcome: 'succeeded',
        status: 'UPDATE_COMPLETE',
        ...C.a,
        leadTimeSeconds: 7560,
        // After z (the stack's creation): a1 and a
        leadTime: { basis: 'commits', commits: [lead('a1', 68760), lead('a', 7560)] },
        failure: 'first run of orders (daily-1103) FAILED',
      },
      {
        startedAt: '2026-11-03T14:00:00.000Z',
        endedAt: '2026-11-03T14:11:00.000Z',
        outcome: 'rolled back',
        status: 'UPDATE_ROLLBACK_COMPLETE',
        ...C.b,
        failure: 'rolled back',
      },
      {
        startedAt: '2026-11-04T09:00:00.000Z',
        endedAt: '2026-11-04T09:10:00.000Z',
        outcome: 'succeeded',
        status: 'UPDATE_COMPLETE',
        ...C.c,
        leadTimeSeconds: 58200,
        // After a (D2 rolled back, so b reached production with D3): b and c
        leadTime: { basis: 'commits', commits: [lead('b', 87000), lead('c', 58200)] },
      },
      {
        startedAt: '2026-11-06T16:00:00.000Z',
        endedAt: '2026-11-06T16:20:00.000Z',
        outcome: 'succeeded',
        status: 'UPDATE_COMPLETE',
        ...C.d,
        leadTimeSeconds: 4800,
        leadTime: { basis: 'commits', commits: [lead('d1', 109200), lead('d', 4800)] },
        failure: 'first run of orders (daily-1107) TIMED_OUT',
      },
    ]);
    expect(leadTimeNotes(metrics)).toStrictEqual([]);
  });

  it('should count three succeeded deploys in seven days', () => {
    expect(metrics.days).toBe(7);
    expect(metrics.deploymentsPerDay).toBe(0.429);
    expect(metrics.deploymentsPerWeek).toBe(3);
  });

  it('should take the median lead time over every commit the succeeded deploys delivered', () => {
    // 4800, 7560, 58200, 68760, 87000, 109200 s: the median of six is the mean of the middle two
    expect([metrics.medianLeadTimeSeconds, metrics.leadTimeCommits]).toStrictEqual([63480, 6]);
    expect(formatDuration(metrics.medianLeadTimeSeconds)).toBe('17h 38m');
  });

  it("should fall back to each deploy's head commit, and say so, without git history", () => {
    // The rule before per-commit lead times: 7560, 58200 and 4800 s
    const headOnly = deliveryMetrics({ stackName: STACK, markerName: MARKER, events: EVENTS, runs: RUNS, ...WINDOW });
    expect([headOnly.medianLeadTimeSeconds, headOnly.leadTimeCommits]).toStrictEqual([7560, 3]);
    expect(formatDuration(headOnly.medianLeadTimeSeconds)).toBe('2h 6m');
    expect(leadTimeNotes(headOnly)).toStrictEqual(
      ['2026-11-02T10:06:00.000Z', '2026-11-04T09:10:00.000Z', '2026-11-06T16:20:00.000Z'].map(
        (end) =>
          `lead time of the deploy that ended ${end} counts its head commit only: no git history to read the commits between deploys from`,
      ),
    );
  });

  it('should fall back to the head commit in a shallow clone, and for a commit the repository does not have', () => {
    // GIVEN a clone of the last two commits only
    const shallow = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-shallow-'));
    try {
      git(['clone', '-q', '--depth', '2', `file://${REPO}`, shallow], {}, os.tmpdir());
      const m = deliveryMetrics({
        stackName: STACK,
        markerName: MARKER,
        events: EVENTS,
        runs: RUNS,
        ...WINDOW,
        commitRange: gitCommitRange(shallow),
      });
      expect(m.deployments.flatMap((d) => (d.leadTime ? [d.leadTime.basis] : []))).toStrictEqual([
        'head commit',
        'head commit',
        'head commit',
      ]);
      expect(leadTimeNotes(m)[2]).toBe(
        'lead time of the deploy that ended 2026-11-06T16:20:00.000Z counts its head commit only: the repository is a shallow clone',
      );
      expect(m.medianLeadTimeSeconds).toBe(7560);
    } finally {
      fs.rmSync(shallow, { recursive: true, force: true });
    }
    // GIVEN D4 carried a commit this repository does not have (made elsewhere)
    const stranger = 'f'.repeat(40);
    const m = withD4(stranger, C.d.committedAt);
    expect(m.deployments.map((d) => d.leadTime?.commits.length)).toStrictEqual([2, undefined, 2, 1]);
    expect(leadTimeNotes(m)).toStrictEqual([
      `lead time of the deploy that ended 2026-11-06T16:20:00.000Z counts its head commit only: commit ${stranger} is not in the repository`,
    ]);
    // 4800 (D4's head), 7560, 58200, 68760, 87000
    expect([m.medianLeadTimeSeconds, m.leadTimeCommits]).toStrictEqual([58200, 5]);
  });

  it('should count no lead time for a deploy that delivered no new commit', () => {
    // GIVEN D4 deployed c again
    const m = withD4(C.c.commit, C.c.committedAt);
    expect(m.deployments[3].leadTime).toStrictEqual({ basis: 'commits', commits: [] });
    expect(leadTimeNotes(m)).toStrictEqual([
      `the deploy that ended 2026-11-06T16:20:00.000Z delivered no new commit: all of ${C.c.commit.slice(0, 12)} was in the previous deploy`,
    ]);
    expect(m.leadTimeCommits).toBe(4);
  });

  it('should count a rollback and a failed first run after a deploy as failed changes', () => {
    expect(metrics.changeFailureRate).toBe(0.75);
  });

  it('should measure time to restore from each failure to the next success', () => {
    expect(metrics.incidents).toStrictEqual([
      {
        kind: 'run',
        subject: 'orders',
        failedAt: '2026-11-03T06:15:00.000Z',
        restoredAt: '2026-11-04T06:30:00.000Z',
        restoreSeconds: 87300,
      },
      {
        kind: 'deploy',
        subject: STACK,
        failedAt: '2026-11-03T14:03:30.000Z',
        restoredAt: '2026-11-03T14:11:00.000Z',
        restoreSeconds: 450,
      },
      {
        kind: 'run',
        subject: 'ingest',
        failedAt: '2026-11-05T12:05:00.000Z',
        restoredAt: '2026-11-05T18:10:00.000Z',
        restoreSeconds: 21900,
      },
      { kind: 'run', subject: 'orders', failedAt: '2026-11-07T08:00:00.000Z' },
    ]);
    expect(metrics.medianTimeToRestoreSeconds).toBe(21900);
    expect(formatDuration(metrics.medianTimeToRestoreSeconds)).toBe('6h 5m');
  });

  it('should leave the lead time out when the commit is unknown, and report no rates without deploys', () => {
    const unknown = chronological.map((e) =>
      'ResourceProperties' in e
        ? {
            ...e,
            ResourceProperties: (e.ResourceProperties as string).replace(/\d{4}-\d{2}-\d{2}T[0-9:]+\+00:00/, 'unknown'),
          }
        : e,
    );
    const m = deliveryMetrics({
      stackName: STACK,
      markerName: MARKER,
      events: [...unknown].reverse(),
      runs: [],
      since: new Date('2026-11-01T00:00:00Z'),
      until: new Date('2026-11-08T00:00:00Z'),
    });
    expect(m.deployments.map((d) => d.leadTimeSeconds)).toStrictEqual([undefined, undefined, undefined, undefined]);
    expect([m.medianLeadTimeSeconds, m.leadTimeCommits]).toStrictEqual([undefined, 0]);
    expect(m.changeFailureRate).toBe(0.25);
    const empty = deliveryMetrics({
      stackName: STACK,
      markerName: MARKER,
      events: [],
      runs: [],
      since: new Date('2026-11-01T00:00:00Z'),
      until: new Date('2026-11-08T00:00:00Z'),
    });
    expect([empty.deploymentsPerDay, empty.changeFailureRate, empty.medianTimeToRestoreSeconds]).toStrictEqual([
      0,
      undefined,
      undefined,
    ]);
  });
});

describe('--since', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  it('should accept days and ISO 8601 dates and times', () => {
    expect(parseSince('30d', now)).toStrictEqual(new Date('2026-10-29T12:00:00Z'));
    expect(parseSince('2026-11-01', now)).toStrictEqual(new Date('2026-11-01T00:00:00Z'));
    expect(parseSince('2026-11-01T08:00:00+01:00', now)).toStrictEqual(new Date('2026-11-01T07:00:00Z'));
  });
  it('fails with the reason for anything else', () => {
    expect(parseSince('0d', now)).toBe('a number of days must be from 1 to 3650');
    expect(parseSince('2026-12-01', now)).toBe('it must be before now (2026-11-28T12:00:00.000Z)');
    expect(parseSince('2026-02-31', now)).toBe('it is not a real date');
    expect(parseSince('last week', now)).toBe(
      'it must be a number of days such as 30d, or an ISO 8601 date or time such as 2026-11-01 or 2026-11-01T08:00:00Z',
    );
  });
});
