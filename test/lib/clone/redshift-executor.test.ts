import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { SqlExecutionError } from '../../../lib/clone/executor';
import { RedshiftDataExecutor } from '../../../lib/clone/redshift-executor';

/** A scripted Data API: records each call and answers from the script (moto's redshift-data breaks the JS SDK). */
class FakeDataApi {
  readonly calls: { command: string; input: Record<string, unknown> }[] = [];
  constructor(private readonly answer: (command: string, input: Record<string, unknown>, n: number) => unknown) {}
  async send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
    const name = command.constructor.name;
    this.calls.push({ command: name, input: command.input });
    const result = this.answer(name, command.input, this.calls.filter((c) => c.command === name).length);
    if (result instanceof Error) throw result;
    return result;
  }
  asClient(): RedshiftDataClient {
    return this as unknown as RedshiftDataClient;
  }
}

const TARGET = { clusterIdentifier: 'acme-dev-warehouse', database: 'analytics', dbUser: 'kitchens_cloner' };

describe('Redshift Data API executor', () => {
  it('should poll DescribeStatement until finished and page through the result', async () => {
    const api = new FakeDataApi((command, input, n) => {
      switch (command) {
        case 'ExecuteStatementCommand':
          return { Id: 'stmt-1' };
        case 'DescribeStatementCommand':
          return { Status: n < 3 ? 'STARTED' : 'FINISHED', HasResultSet: true };
        case 'GetStatementResultCommand':
          return input.NextToken === undefined
            ? {
                ColumnMetadata: [{ name: 'table' }, { name: 'tbl_rows' }],
                Records: [[{ stringValue: 'orders' }, { longValue: 42 }]],
                NextToken: 'page-2',
              }
            : {
                ColumnMetadata: [{ name: 'table' }, { name: 'tbl_rows' }],
                Records: [[{ stringValue: 'customers' }, { isNull: true }]],
              };
      }
      throw new Error(`unexpected ${command}`);
    });
    const executor = new RedshiftDataExecutor(api.asClient(), TARGET, { pollIntervalMs: 1 });
    const estimates = await executor.estimateRows('analytics');
    expect([...estimates]).toStrictEqual([
      ['orders', 42],
      ['customers', 0],
    ]);
    expect(api.calls.map((c) => c.command)).toStrictEqual([
      'ExecuteStatementCommand',
      'DescribeStatementCommand',
      'DescribeStatementCommand',
      'DescribeStatementCommand',
      'GetStatementResultCommand',
      'GetStatementResultCommand',
    ]);
    expect(api.calls[0].input).toStrictEqual({
      ClusterIdentifier: 'acme-dev-warehouse',
      WorkgroupName: undefined,
      Database: 'analytics',
      DbUser: 'kitchens_cloner',
      SecretArn: undefined,
      Sql: `SELECT "table", tbl_rows FROM svv_table_info WHERE "schema" = 'analytics'`,
    });
  });

  it('should run a transaction as one BatchExecuteStatement', async () => {
    const api = new FakeDataApi((command) =>
      command === 'BatchExecuteStatementCommand' ? { Id: 'b-1' } : { Status: 'FINISHED', HasResultSet: false },
    );
    await new RedshiftDataExecutor(api.asClient(), TARGET, { pollIntervalMs: 1 }).transaction([
      'DROP TABLE IF EXISTS "k"."a"',
      'CREATE TABLE "k"."a" AS SELECT 1',
    ]);
    expect(api.calls.map((c) => c.command)).toStrictEqual(['BatchExecuteStatementCommand', 'DescribeStatementCommand']);
    expect(api.calls[0].input.Sqls).toStrictEqual(['DROP TABLE IF EXISTS "k"."a"', 'CREATE TABLE "k"."a" AS SELECT 1']);
  });

  it('fails with the failing sub-statement and its error message', async () => {
    const api = new FakeDataApi((command) =>
      command === 'BatchExecuteStatementCommand'
        ? { Id: 'b-2' }
        : {
            Status: 'FAILED',
            Error: 'batch failed',
            SubStatements: [
              { Status: 'FINISHED', QueryString: 'DROP TABLE IF EXISTS "k"."a"' },
              {
                Status: 'FAILED',
                QueryString: 'CREATE TABLE "k"."a" AS SELECT nope FROM x',
                Error: 'ERROR: column "nope" does not exist in x',
              },
            ],
          },
    );
    const run = new RedshiftDataExecutor(api.asClient(), TARGET, { pollIntervalMs: 1 }).transaction([
      'DROP TABLE IF EXISTS "k"."a"',
      'CREATE TABLE "k"."a" AS SELECT nope FROM x',
    ]);
    await expect(run).rejects.toThrow(
      new SqlExecutionError(
        'Redshift statement failed: ERROR: column "nope" does not exist in x',
        'CREATE TABLE "k"."a" AS SELECT nope FROM x',
      ),
    );
  });

  it('should retry when too many statements are active, and map a refused statement', async () => {
    const busy = Object.assign(new Error('Active statements exceeded the allowed quota.'), {
      name: 'ActiveStatementsExceededException',
    });
    const api = new FakeDataApi((command, _input, n) =>
      command === 'ExecuteStatementCommand'
        ? n < 3
          ? busy
          : { Id: 's' }
        : { Status: 'FINISHED', HasResultSet: false },
    );
    expect(
      await new RedshiftDataExecutor(api.asClient(), TARGET, { pollIntervalMs: 1 }).query('SELECT 1'),
    ).toStrictEqual([]);
    expect(api.calls.filter((c) => c.command === 'ExecuteStatementCommand')).toHaveLength(3);

    const invalid = Object.assign(new Error('Cluster acme-dev-warehouse not found.'), { name: 'ValidationException' });
    const refused = new FakeDataApi(() => invalid);
    await expect(new RedshiftDataExecutor(refused.asClient(), TARGET).query('SELECT 1')).rejects.toThrow(
      'Redshift Data API refused the statement (ValidationException): Cluster acme-dev-warehouse not found. (in: SELECT 1)',
    );
    expect(refused.calls).toHaveLength(1);
  });

  it('should cancel a statement that runs past the timeout, and report a cancelled one', async () => {
    const api = new FakeDataApi((command) =>
      command === 'ExecuteStatementCommand'
        ? { Id: 'slow' }
        : command === 'CancelStatementCommand'
          ? { Status: true }
          : { Status: 'STARTED' },
    );
    await expect(
      new RedshiftDataExecutor(api.asClient(), TARGET, { pollIntervalMs: 5, timeoutMs: 20 }).query(
        'SELECT pg_sleep(60)',
      ),
    ).rejects.toThrow('Redshift statement did not finish within 20 ms and was cancelled');
    expect(api.calls.at(-1)).toStrictEqual({ command: 'CancelStatementCommand', input: { Id: 'slow' } });
    const aborted = new FakeDataApi((command) =>
      command === 'ExecuteStatementCommand' ? { Id: 'a' } : { Status: 'ABORTED' },
    );
    await expect(new RedshiftDataExecutor(aborted.asClient(), TARGET).query('SELECT 1')).rejects.toThrow(
      'Redshift statement was cancelled',
    );
  });

  it('fails without exactly one of cluster or workgroup', () => {
    expect(() => new RedshiftDataExecutor(new FakeDataApi(() => ({})).asClient(), { database: 'analytics' })).toThrow(
      'a Redshift Data API target needs exactly one of clusterIdentifier or workgroupName',
    );
  });
});
