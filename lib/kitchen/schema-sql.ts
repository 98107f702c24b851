/**
 * The SQL that creates and drops a Kitchen's schema and database user. Every step is idempotent, so a
 * deployment that failed half-way is simply run again. Kept to the subset Redshift and PostgreSQL both accept
 * (the tests run it on PostgreSQL). The user's password never appears here: the custom resource replaces
 * PASSWORD_PLACEHOLDER with `md5` + md5(password + user) read from the Kitchen's secret at deploy time.
 */
import { NameError } from '../naming';

export const PASSWORD_PLACEHOLDER = '{{password_md5}}';

export interface SchemaLifecycleStep {
  readonly sql: string;
  /** Run only when the user does not exist yet / already exists. */
  readonly when?: 'user-missing' | 'user-exists';
}

export interface SchemaLifecycle {
  /** Returns one row with a column `n`: how many users with this name exist. */
  readonly userExistsSql: string;
  readonly create: readonly SchemaLifecycleStep[];
  readonly drop: readonly SchemaLifecycleStep[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,126}$/;

function identifier(kind: string, value: string): string {
  if (!IDENTIFIER.test(value)) {
    throw new NameError(
      `${kind} ${JSON.stringify(value)} must be a lowercase SQL identifier (letters, digits, "_"), at most 127 characters`,
    );
  }
  return value;
}

export function schemaLifecycle(schemaName: string, userName: string): SchemaLifecycle {
  const schema = identifier('Schema', schemaName);
  const user = identifier('Database user', userName);
  return {
    userExistsSql: `SELECT count(*) AS n FROM pg_user WHERE usename = '${user}'`,
    create: [
      { sql: `CREATE USER ${user} PASSWORD '${PASSWORD_PLACEHOLDER}'`, when: 'user-missing' },
      { sql: `ALTER USER ${user} PASSWORD '${PASSWORD_PLACEHOLDER}'`, when: 'user-exists' },
      { sql: `CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${user}` },
      { sql: `ALTER SCHEMA ${schema} OWNER TO ${user}` },
      { sql: `GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${user}` },
      { sql: `GRANT ALL ON ALL TABLES IN SCHEMA ${schema} TO ${user}` },
    ],
    drop: [{ sql: `DROP SCHEMA IF EXISTS ${schema} CASCADE` }, { sql: `DROP USER IF EXISTS ${user}` }],
  };
}

/** The value Redshift and PostgreSQL accept in place of a clear-text password: `md5` + md5(password + user). */
export function md5Password(password: string, userName: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('crypto') as typeof import('crypto');
  return `md5${createHash('md5').update(`${password}${userName}`).digest('hex')}`;
}
