/**
 * Where clone SQL runs. Two implementations: PostgreSQL through `pg` (local use and tests) and the Redshift Data API
 * (redshift-executor.ts). Both run a list of statements as one transaction, so a table is either rebuilt completely
 * or not at all, and an interrupted clone resumes cleanly.
 */
import { Client } from 'pg';

export type Dialect = 'postgres' | 'redshift';

export interface SqlExecutor {
  readonly dialect: Dialect;
  /** Runs one statement and returns its rows. */
  query<T extends object = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Runs statements in order as one transaction. */
  transaction(statements: readonly string[]): Promise<void>;
  /** Estimated rows per table of a schema, from the engine's statistics. */
  estimateRows(schema: string): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** A statement the warehouse rejected, with the statement (shortened) for context. */
export class SqlExecutionError extends Error {
  constructor(
    message: string,
    public readonly sql: string,
    public readonly code?: string,
  ) {
    super(`${message} (in: ${sql.length > 200 ? `${sql.slice(0, 197)}...` : sql})`);
    this.name = 'SqlExecutionError';
  }
}

export class PostgresExecutor implements SqlExecutor {
  readonly dialect = 'postgres' as const;
  private readonly client: Client;
  private connected?: Promise<void>;

  constructor(connectionString: string) {
    this.client = new Client({ connectionString });
  }

  private async connection(): Promise<Client> {
    this.connected = this.connected ?? this.client.connect().then(() => undefined);
    await this.connected;
    return this.client;
  }

  async query<T extends object = Record<string, unknown>>(sql: string): Promise<T[]> {
    const client = await this.connection();
    try {
      const result = await client.query(sql);
      return result.rows as T[];
    } catch (e) {
      throw new SqlExecutionError(e instanceof Error ? e.message : String(e), sql, (e as { code?: string }).code);
    }
  }

  async transaction(statements: readonly string[]): Promise<void> {
    const client = await this.connection();
    await client.query('BEGIN');
    let current = '';
    try {
      for (const sql of statements) {
        current = sql;
        await client.query(sql);
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new SqlExecutionError(e instanceof Error ? e.message : String(e), current, (e as { code?: string }).code);
    }
  }

  async estimateRows(schema: string): Promise<Map<string, number>> {
    const rows = await this.query<{ relname: string; reltuples: string | number }>(
      'SELECT c.relname, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ' +
        `WHERE n.nspname = '${schema.replace(/'/g, "''")}' AND c.relkind = 'r'`,
    );
    const estimates = new Map<string, number>();
    for (const row of rows) {
      let count = Number(row.reltuples);
      if (count < 0) {
        // Never analyzed (PostgreSQL 14+ reports -1): count it.
        const counted = await this.query<{ n: string }>(
          `SELECT count(*) AS n FROM "${schema}"."${row.relname.replace(/"/g, '""')}"`,
        );
        count = Number(counted[0].n);
      }
      estimates.set(row.relname, Math.round(count));
    }
    return estimates;
  }

  /**
   * Bytes read from and written to the server socket so far, protocol included. A clone's rows never pass through
   * the client, so this stays small whatever the table sizes.
   */
  get traffic(): { readonly received: number; readonly sent: number } {
    const stream = (
      this.client as unknown as { connection?: { stream?: { bytesRead?: number; bytesWritten?: number } } }
    ).connection?.stream;
    return { received: stream?.bytesRead ?? 0, sent: stream?.bytesWritten ?? 0 };
  }

  async close(): Promise<void> {
    if (this.connected) {
      await this.client.end();
    }
  }
}
