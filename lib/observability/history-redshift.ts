/**
 * The history table on AWS: `readHistory`'s queries sent through the Redshift Data API with the clone's executor
 * (ExecuteStatement, DescribeStatement polled until the statement ends, GetStatementResult paged). The Data API
 * takes no `$1` placeholders, so the values (the pipeline id and a row count) are written in as literals.
 */
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { RedshiftDataExecutor, type RedshiftDataTarget } from '../clone/redshift-executor';
import { literal } from '../clone/sql';
import type { SqlClient } from './history';

/** `text` with `$n` replaced by the n-th value as a SQL literal (finite numbers as numbers, the rest as strings). */
export function bindLiterals(text: string, values: readonly unknown[] = []): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index >= values.length) throw new Error(`query uses $${n} but has ${values.length} value(s)`);
    const value = values[index];
    return typeof value === 'number' && Number.isFinite(value) ? String(value) : literal(String(value));
  });
}

export function dataApiSqlClient(
  client: Pick<RedshiftDataClient, 'send'>,
  target: RedshiftDataTarget,
  options: { pollIntervalMs?: number } = {},
): SqlClient {
  const executor = new RedshiftDataExecutor(client, target, options);
  return { query: async (text, values) => ({ rows: await executor.query(bindLiterals(text, values)) }) };
}
