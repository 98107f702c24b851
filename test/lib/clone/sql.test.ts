import { parseClonePlan, planTables } from '../../../lib/clone/planner';
import {
  bucketOf,
  checkSalt,
  copyStatements,
  ctasStatements,
  literal,
  maskedSelect,
  unloadStatement,
} from '../../../lib/clone/sql';
import { CATALOG } from './catalog-fixture';

const SALT = 'salt-0123456789abcdef';
const TRANSFER = {
  exportUri: 's3://acme-dev-export-222222222222/kitchens/profit-report/clone/',
  unloadRoleArn: 'arn:aws:iam::111111111111:role/acme-production-clone-unload',
  copyRoleArn: 'arn:aws:iam::222222222222:role/acme-dev-clone-copy',
};

describe('clone SQL', () => {
  const tables = planTables(
    parseClonePlan({
      tables: [
        {
          name: 'customers',
          sample: { fraction: 0.25, key: 'customer_id', where: "country <> 'US'" },
          mask: { full_name: 'redact' },
        },
        { name: 'orders', sample: { limit: 1000, key: 'order_id' } },
      ],
    }),
    CATALOG,
  );
  const [customers, orders] = tables;

  it('should mask and sample inside one CREATE TABLE AS SELECT', () => {
    const [drop, create, ...state] = ctasStatements(
      customers,
      { sourceSchema: 'analytics', tables, parentKeys: { from: 'target', schema: 'k_profit_report' } },
      'k_profit_report',
      SALT,
      'fp1',
    );
    expect(drop).toBe('DROP TABLE IF EXISTS "k_profit_report"."customers"');
    expect(create).toBe(
      'CREATE TABLE "k_profit_report"."customers" AS SELECT r."customer_id" AS "customer_id", ' +
        `md5('${SALT}' || CAST(r."email" AS VARCHAR(65535))) AS "email", ` +
        `CASE WHEN r."full_name" IS NULL THEN NULL ELSE CAST('REDACTED' AS VARCHAR(8)) END AS "full_name", ` +
        'r."country" AS "country", CAST(NULL AS date) AS "birth_date", r."vip" AS "vip" ' +
        'FROM (SELECT s0."customer_id", s0."email", s0."full_name", s0."country", s0."birth_date", s0."vip" ' +
        'FROM (SELECT t0.*, md5(CAST(t0."customer_id" AS VARCHAR(65535))) AS kitchens_sample_hash FROM "analytics"."customers" AS t0) AS s0 ' +
        `WHERE (country <> 'US') AND ${bucketOf('s0.kitchens_sample_hash')} < 16384) AS r`,
    );
    expect(state).toStrictEqual([
      `DELETE FROM "k_profit_report"."kitchens_clone_state" WHERE table_name = 'customers'`,
      `INSERT INTO "k_profit_report"."kitchens_clone_state" (table_name, fingerprint, row_count) SELECT 'customers', 'fp1', count(*) FROM "k_profit_report"."customers"`,
    ]);
  });

  it('should follow the sampled parent in the Kitchen and order a limit deterministically', () => {
    const sql = maskedSelect(
      orders,
      { sourceSchema: 'analytics', tables, parentKeys: { from: 'target', schema: 'k_x' } },
      SALT,
    );
    expect(sql).toContain(
      'WHERE (s0."customer_id" IS NULL OR s0."customer_id" IN (SELECT p0_0."customer_id" FROM "k_x"."customers" AS p0_0)) ' +
        'ORDER BY s0.kitchens_sample_hash, s0."order_id", s0."customer_id", s0."customer_email", s0."amount" LIMIT 1000',
    );
  });

  it('should unload only the masked sample from production, with the parent sample re-run on the source', () => {
    const sql = unloadStatement(orders, 'analytics', tables, SALT, TRANSFER);
    expect(
      sql.startsWith(
        'UNLOAD (\'SELECT r."order_id" AS "order_id", r."customer_id" AS "customer_id", md5(\'\'salt-0123456789abcdef\'\' || ',
      ),
    ).toBe(true);
    expect(sql).toContain(
      `s0."customer_id" IN (SELECT p0_0."customer_id" FROM (SELECT s1."customer_id", s1."email", s1."full_name", s1."country", s1."birth_date", s1."vip" FROM (SELECT t1.*`,
    );
    expect(sql).toContain(`WHERE (country <> ''US'') AND`);
    expect(
      sql.endsWith(
        `') TO 's3://acme-dev-export-222222222222/kitchens/profit-report/clone/orders/' IAM_ROLE 'arn:aws:iam::111111111111:role/acme-production-clone-unload' FORMAT AS PARQUET CLEANPATH`,
      ),
    ).toBe(true);
    // Every column leaves production through its mask: the email is hashed inside the UNLOAD query.
    expect(sql).toContain(`md5(''${SALT}'' || CAST(r."customer_email" AS VARCHAR(65535))) AS "customer_email"`);
    expect(sql).not.toContain('r."customer_email" AS "customer_email"');
  });

  it('should copy the export into a table typed after masking, in one transaction', () => {
    expect(copyStatements(customers, 'k_profit_report', TRANSFER, 'fp2')).toStrictEqual([
      'DROP TABLE IF EXISTS "k_profit_report"."customers"',
      'CREATE TABLE "k_profit_report"."customers" ("customer_id" integer, "email" varchar(32), "full_name" varchar(8), "country" char(2), "birth_date" date, "vip" boolean)',
      `COPY "k_profit_report"."customers" FROM 's3://acme-dev-export-222222222222/kitchens/profit-report/clone/customers/' IAM_ROLE 'arn:aws:iam::222222222222:role/acme-dev-clone-copy' FORMAT AS PARQUET`,
      `DELETE FROM "k_profit_report"."kitchens_clone_state" WHERE table_name = 'customers'`,
      `INSERT INTO "k_profit_report"."kitchens_clone_state" (table_name, fingerprint, row_count) SELECT 'customers', 'fp2', count(*) FROM "k_profit_report"."customers"`,
    ]);
  });

  it('fails on a salt that is short or unsafe in a literal, and on a backslash in a literal', () => {
    expect(() => checkSalt('short')).toThrow(
      'masking salt must be 16 to 256 characters of letters, digits and + / = _ . : -',
    );
    expect(() => checkSalt("0123456789abcdef'")).toThrow('masking salt must be 16 to 256 characters');
    expect(() => literal('a\\b')).toThrow('SQL literal must not contain a backslash, got: "a\\\\b"');
    expect(literal("it's")).toBe("'it''s'");
  });
});
