/** Helpers of the publish/seed tests: a production-side setup on PostgreSQL and executors as given users. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Client } from 'pg';
import { PostgresExecutor, SqlExecutor } from '../../../lib/clone/executor';
import type { TablePlan } from '../../../lib/clone/planner';
import { setupStatements, type SetupOptions } from '../../../lib/clone/sql';

export const PLAN_AT = 'kitchens.config.yaml: environments.dev.clone';

/** The URL of the same database, connecting as another user (the test server trusts local connections). */
export function asUser(url: string, user: string): string {
  const u = new URL(url);
  u.username = user;
  return u.toString();
}

/**
 * Roles are shared by every database of the test server and test files run in parallel: role changes take a
 * cluster-wide advisory lock.
 */
async function withRoleLock(admin: Client, run: () => Promise<void>): Promise<void> {
  await admin.query('SELECT pg_advisory_lock(90009)');
  try {
    await run();
  } finally {
    await admin.query('SELECT pg_advisory_unlock(90009)');
  }
}

/** Runs the production setup as the administrator (what the setup state machine does on Redshift). */
export async function setupProduction(
  admin: Client,
  tables: readonly TablePlan[],
  sourceSchema = 'analytics',
  options: Pick<SetupOptions, 'textPatterns'> = {},
): Promise<void> {
  await withRoleLock(admin, async () => {
    for (const sql of setupStatements(tables, { dialect: 'postgres', sourceSchema, planAt: PLAN_AT, ...options })) {
      await admin.query(sql);
    }
  });
}

/** Creates a login role once for the whole test server, optionally a member of a server role. */
export async function ensureUser(admin: Client, user: string, member?: string): Promise<void> {
  await withRoleLock(admin, async () => {
    const { rows } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
    if (rows.length === 0) await admin.query(`CREATE USER "${user}"`);
    if (member !== undefined) await admin.query(`GRANT ${member} TO "${user}"`);
  });
}

/** A directory the PostgreSQL server process can write (it runs as another OS user). */
export function exportDirectory(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.chmodSync(dir, 0o777);
  return dir;
}

/** An executor that records every statement it sends (to prove what never appears in query text). */
export class RecordingExecutor implements SqlExecutor {
  readonly dialect = 'postgres' as const;
  readonly statements: string[] = [];
  private readonly inner: PostgresExecutor;

  constructor(url: string) {
    this.inner = new PostgresExecutor(url);
  }

  query<T extends object = Record<string, unknown>>(sql: string): Promise<T[]> {
    this.statements.push(sql);
    return this.inner.query<T>(sql);
  }

  transaction(statements: readonly string[]): Promise<void> {
    this.statements.push(...statements);
    return this.inner.transaction(statements);
  }

  estimateRows(schema: string): Promise<Map<string, number>> {
    return this.inner.estimateRows(schema);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
