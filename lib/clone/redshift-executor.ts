/**
 * Runs clone SQL through the Redshift Data API: ExecuteStatement / BatchExecuteStatement (one transaction), then
 * DescribeStatement polled with a growing interval until the statement finishes, then GetStatementResult pages.
 * Failures become SqlExecutionError naming the statement; too many active statements are retried with backoff.
 */
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  Field,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import type { SqlExecutor } from './executor';
import { SqlExecutionError } from './executor';
import { withRetries } from './objects';
import { literal } from './sql';

export interface RedshiftDataTarget {
  /** Provisioned cluster; give this or workgroupName. */
  readonly clusterIdentifier?: string;
  /** Serverless workgroup; give this or clusterIdentifier. */
  readonly workgroupName?: string;
  readonly database: string;
  /** Temporary credentials for this database user (provisioned clusters). */
  readonly dbUser?: string;
  /** Credentials from this secret (of the same environment). */
  readonly secretArn?: string;
}

export interface RedshiftDataExecutorOptions {
  /** First DescribeStatement interval; grows by half each poll. @default 200 ms */
  readonly pollIntervalMs?: number;
  /** @default 5000 ms */
  readonly maxPollIntervalMs?: number;
  /** A statement still running after this long is cancelled. @default 3,600,000 ms (one hour) */
  readonly timeoutMs?: number;
}

type Sender = Pick<RedshiftDataClient, 'send'>;

export function fieldValue(field: Field): unknown {
  if (field.isNull === true) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.blobValue !== undefined) return field.blobValue;
  return null;
}

const BUSY = new Set(['ActiveStatementsExceededException', 'ActiveSessionsExceededException', 'ThrottlingException']);

export class RedshiftDataExecutor implements SqlExecutor {
  readonly dialect = 'redshift' as const;

  constructor(
    private readonly client: Sender,
    private readonly target: RedshiftDataTarget,
    private readonly options: RedshiftDataExecutorOptions = {},
  ) {
    if ((target.clusterIdentifier === undefined) === (target.workgroupName === undefined)) {
      throw new Error('a Redshift Data API target needs exactly one of clusterIdentifier or workgroupName');
    }
  }

  private get location() {
    return {
      ClusterIdentifier: this.target.clusterIdentifier,
      WorkgroupName: this.target.workgroupName,
      Database: this.target.database,
      DbUser: this.target.dbUser,
      SecretArn: this.target.secretArn,
    };
  }

  private async submit(sqls: readonly string[]): Promise<string> {
    const shown = sqls.join('; ');
    try {
      const response = await withRetries(
        () =>
          sqls.length === 1
            ? this.client.send(new ExecuteStatementCommand({ ...this.location, Sql: sqls[0] }))
            : this.client.send(new BatchExecuteStatementCommand({ ...this.location, Sqls: [...sqls] })),
        { maxAttempts: 8, baseDelayMs: 500, retryable: (e) => BUSY.has((e as { name?: string }).name ?? '') },
      );
      return response.Id!;
    } catch (e) {
      const name = (e as { name?: string }).name ?? 'Error';
      throw new SqlExecutionError(
        `Redshift Data API refused the statement (${name}): ${(e as Error).message}`,
        shown,
        name,
      );
    }
  }

  /** Polls DescribeStatement until the statement ends; returns whether it has a result set. */
  private async wait(id: string, sqls: readonly string[]): Promise<boolean> {
    const started = Date.now();
    const timeout = this.options.timeoutMs ?? 3_600_000;
    let interval = this.options.pollIntervalMs ?? 200;
    for (;;) {
      const d = await withRetries(() => this.client.send(new DescribeStatementCommand({ Id: id })));
      switch (d.Status) {
        case 'FINISHED':
          return d.HasResultSet === true;
        case 'FAILED': {
          const failed = d.SubStatements?.find((s) => s.Status === 'FAILED');
          throw new SqlExecutionError(
            `Redshift statement failed: ${failed?.Error ?? d.Error ?? 'no error message'}`,
            failed?.QueryString ?? sqls.join('; '),
          );
        }
        case 'ABORTED':
          throw new SqlExecutionError('Redshift statement was cancelled', sqls.join('; '));
        default:
          break;
      }
      if (Date.now() - started > timeout) {
        await this.client.send(new CancelStatementCommand({ Id: id })).catch(() => undefined);
        throw new SqlExecutionError(
          `Redshift statement did not finish within ${timeout} ms and was cancelled`,
          sqls.join('; '),
        );
      }
      await new Promise((r) => setTimeout(r, interval));
      interval = Math.min(this.options.maxPollIntervalMs ?? 5000, Math.ceil(interval * 1.5));
    }
  }

  async query<T extends object = Record<string, unknown>>(sql: string): Promise<T[]> {
    const id = await this.submit([sql]);
    if (!(await this.wait(id, [sql]))) return [];
    const rows: T[] = [];
    let token: string | undefined;
    do {
      const page = await withRetries(() =>
        this.client.send(new GetStatementResultCommand({ Id: id, NextToken: token })),
      );
      const names = (page.ColumnMetadata ?? []).map((c) => c.name ?? c.label ?? '');
      for (const record of page.Records ?? []) {
        rows.push(Object.fromEntries(record.map((f, i) => [names[i], fieldValue(f)])) as T);
      }
      token = page.NextToken;
    } while (token);
    return rows;
  }

  async transaction(statements: readonly string[]): Promise<void> {
    if (statements.length === 0) return;
    const id = await this.submit(statements);
    await this.wait(id, statements);
  }

  async estimateRows(schema: string): Promise<Map<string, number>> {
    const rows = await this.query<{ table: string; tbl_rows: number | string | null }>(
      `SELECT "table", tbl_rows FROM svv_table_info WHERE "schema" = ${literal(schema)}`,
    );
    return new Map(rows.map((r) => [r.table, Number(r.tbl_rows ?? 0)]));
  }

  async close(): Promise<void> {
    // The Data API is connectionless.
  }
}
