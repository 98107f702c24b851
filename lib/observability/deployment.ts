/**
 * The git commit a synth was made from, recorded in every stack so that CloudFormation remembers which commit each
 * deploy carried (see `kitchen metrics`). Read once per app with `git log -1 --format=%H %cI` in the config file's
 * directory; the `kitchens:commit` and `kitchens:commit-time` context values override it (for builds outside a git
 * checkout, such as a CI job that synthesizes from an exported tree). Outside git and without the context values the
 * commit is `unknown`, and `kitchen metrics` reports such deploys without a lead time. No aws-cdk-lib import.
 */
import { execFileSync } from 'child_process';
import type { CommitRange, CommitRangeReader } from './delivery';

/** The commit a deploy carries. */
export interface DeploymentCommit {
  /** The full commit id, or `unknown`. */
  readonly commit: string;
  /** The commit's committer date (ISO 8601, as `git log --format=%cI` prints it), or `unknown`. */
  readonly committedAt: string;
  /** Where the two values came from. */
  readonly source: 'git' | 'context' | 'none';
}

/** Context keys that override what git says. */
export const DEPLOYMENT_CONTEXT = { commit: 'kitchens:commit', committedAt: 'kitchens:commit-time' } as const;

/** The key under the template's `Metadata` section. */
export const DEPLOYMENT_METADATA_KEY = 'kitchens:deployment';

/** The SSM parameter (under the environment's parameter path) whose value is the deployed commit, as JSON. */
export const DEPLOYMENT_PARAMETER = 'deployment/commit';

export const UNKNOWN = 'unknown';

const COMMIT = /^[0-9a-f]{40}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Checks the context overrides; both or neither must be given. */
function fromContext(commit: unknown, committedAt: unknown): DeploymentCommit | undefined {
  if (commit === undefined && committedAt === undefined) return undefined;
  if (typeof commit !== 'string' || !COMMIT.test(commit)) {
    throw new Error(
      `context ${DEPLOYMENT_CONTEXT.commit} must be a full git commit id (40 lowercase hex digits), got: ${JSON.stringify(commit ?? null)}`,
    );
  }
  if (typeof committedAt !== 'string' || !ISO_TIME.test(committedAt) || Number.isNaN(Date.parse(committedAt))) {
    throw new Error(
      `context ${DEPLOYMENT_CONTEXT.committedAt} must be the commit's time in ISO 8601 with a zone, such as 2026-11-28T09:15:00Z, got: ${JSON.stringify(committedAt ?? null)}`,
    );
  }
  return { commit, committedAt, source: 'context' };
}

/** What `git log -1` says in `directory`, or undefined when it is not in a git checkout with a commit. */
export function gitCommit(directory: string): DeploymentCommit | undefined {
  let out: string;
  try {
    out = execFileSync('git', ['log', '-1', '--format=%H %cI'], {
      cwd: directory,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
      encoding: 'utf8',
    }).trim();
  } catch {
    return undefined;
  }
  const [commit, committedAt] = out.split(' ');
  if (!COMMIT.test(commit ?? '') || !ISO_TIME.test(committedAt ?? '')) return undefined;
  return { commit, committedAt, source: 'git' };
}

/** The commit to record: the context overrides, else git in `directory`, else `unknown`. */
export function deploymentCommit(
  context: (key: string) => unknown,
  directory: string,
  git: (directory: string) => DeploymentCommit | undefined = gitCommit,
): DeploymentCommit {
  return (
    fromContext(context(DEPLOYMENT_CONTEXT.commit), context(DEPLOYMENT_CONTEXT.committedAt)) ??
    git(directory) ?? { commit: UNKNOWN, committedAt: UNKNOWN, source: 'none' }
  );
}

/** The marker parameter's value: what a deploy event's ResourceProperties carry back. */
export function deploymentMarkerValue(commit: DeploymentCommit): string {
  return JSON.stringify({ commit: commit.commit, committedAt: commit.committedAt });
}

/**
 * Reads `git log from..to` in `directory`: the commits after `from` up to and including `to`, newest first, with
 * their committer dates (merge commits included). Unavailable, with the reason, outside a git checkout, in a shallow
 * clone (its history stops early, so a range could be cut short) and for a commit the repository does not have. One
 * `git` process for the checks when first called, then up to three per range.
 */
export function gitCommitRange(directory: string): CommitRangeReader {
  const git = (args: string[]) =>
    execFileSync('git', args, {
      cwd: directory,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    }).trim();
  let repository: string | undefined;
  const check = (): string | undefined => {
    if (repository !== undefined) return repository || undefined;
    try {
      repository = git(['rev-parse', '--is-shallow-repository']) === 'true' ? 'the repository is a shallow clone' : '';
    } catch {
      repository = `${directory} is not in a git repository`;
    }
    return repository || undefined;
  };
  const has = (commit: string) => {
    try {
      git(['cat-file', '-e', `${commit}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  };
  return (from: string, to: string): CommitRange => {
    const problem = check();
    if (problem) return { unavailable: problem };
    for (const commit of [from, to]) {
      if (!COMMIT.test(commit) || !has(commit)) return { unavailable: `commit ${commit} is not in the repository` };
    }
    const commits = git(['log', '--format=%H %cI', `${from}..${to}`])
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [commit, committedAt] = line.split(' ');
        return { commit, committedAt };
      });
    return { commits };
  };
}
