import { parseClonePlan, planTables } from '../../../lib/clone/planner';
import {
  keyedHash,
  literal,
  publishStatements,
  renderFilter,
  seedStatements,
  setupStatements,
} from '../../../lib/clone/sql';
import { CATALOG, CATALOG_MASKS } from './catalog-fixture';

const CHAIN =
  'arn:aws:iam::111111111111:role/acme-production-warehouse,arn:aws:iam::111111111111:role/acme-production-clone-unload';
const S3 = { kind: 's3' as const, uri: 's3://acme-dev-export-222222222222/snapshots/production/', roleChain: CHAIN };

describe('clone SQL', () => {
  const tables = planTables(
    parseClonePlan({
      tables: [
        {
          name: 'customers',
          sample: { fraction: 0.25, key: 'customer_id', where: { column: 'country', op: '<>', value: "O'Hare" } },
          mask: CATALOG_MASKS.customers,
        },
        {
          name: 'orders',
          mask: CATALOG_MASKS.orders,
        },
      ],
    }),
    CATALOG,
  );

  it('should render structured filters with quoted identifiers and literals only', () => {
    expect(
      renderFilter(
        {
          or: [
            {
              and: [
                { column: 'status', op: '=', value: "x') OR ('1'='1" },
                { column: 'amount', op: '>=', value: 10.5 },
              ],
            },
            { column: 'country', op: 'in', values: ['GB', 'FR'] },
            { column: 'vip', op: '=', value: true },
            { column: 'email', op: 'is not null' },
          ],
        },
        's0',
      ),
    ).toBe(
      `(((s0."status" = 'x'') OR (''1''=''1') AND (s0."amount" >= 10.5)) OR (s0."country" IN ('GB', 'FR')) OR (s0."vip" = TRUE) OR (s0."email" IS NOT NULL))`,
    );
    expect(() => literal('a\\b')).toThrow('SQL literal must not contain a backslash, got: "a\\\\b"');
  });

  it('should hash with the nested keyed construction in each engine, the key read from the key relation', () => {
    expect(keyedHash('r."email"', 'redshift')).toBe(
      'sha2(kitchens_key.outer_key || sha2(kitchens_key.inner_key || CAST(r."email" AS VARCHAR(65535)), 256), 256)',
    );
    expect(keyedHash('r."email"', 'postgres')).toBe(
      "encode(sha256(convert_to(kitchens_key.outer_key || encode(sha256(convert_to(kitchens_key.inner_key || CAST(r.\"email\" AS text), 'UTF8')), 'hex'), 'UTF8')), 'hex')",
    );
  });

  it('should publish on Redshift with the guard first, then UNLOAD through the role chain', () => {
    const statements = publishStatements(tables, 'analytics', S3, 'redshift', 'exec-1');
    expect(statements[0]).toBe('CALL "kitchens_clone"."check_plan"()');
    // customers is a parent (orders follows it by the catalog's foreign key): its sample is staged in the session.
    expect(statements[1]).toMatch(/^CREATE TEMPORARY TABLE "kitchens_sample_0_exec-1" AS SELECT s\."customer_id", /);
    expect(statements[1]).toContain(`WHERE (s."country" <> 'O''Hare')`);
    expect(statements[2]).toMatch(
      /^UNLOAD \('SELECT r\."customer_id" AS "customer_id", sha2\(kitchens_key\.outer_key .* FROM "kitchens_sample_0_exec-1" AS r CROSS JOIN \(SELECT inner_key, outer_key FROM "kitchens_clone"\."hash_key"\) AS kitchens_key'\) TO 's3:\/\/acme-dev-export-222222222222\/snapshots\/production\/exec-1\/tables\/customers\/' IAM_ROLE '[^']+' FORMAT AS PARQUET CLEANPATH$/,
    );
    expect(statements[2]).toContain(`IAM_ROLE '${CHAIN}'`);
    expect(statements[2]).toContain(`CASE WHEN 1 = 0 THEN r."birth_date" END AS "birth_date"`);
    expect(statements[3]).toContain(
      `WHERE (s."customer_id" IS NULL OR EXISTS (SELECT 1 FROM "kitchens_sample_0_exec-1" AS p WHERE p."customer_id" = s."customer_id"))`,
    );
    expect(statements[4]).toMatch(
      /^UNLOAD \('SELECT CAST\(table_name AS VARCHAR\(128\)\) AS table_name, .*'\) TO 's3:\/\/acme-dev-export-222222222222\/snapshots\/production\/exec-1\/columns\/' IAM_ROLE '[^']+' FORMAT AS CSV PARALLEL OFF CLEANPATH$/,
    );
    // No self-reference: nothing can add ancestors, so no closure runs.
    expect(statements).toHaveLength(5);
    expect(() => publishStatements(tables, 'analytics', S3, 'redshift', "x' --")).toThrow(
      'snapshot run id must be 1 to 80 letters, digits, "-" or "_", got: "x\' --"',
    );
  });

  it('should revoke ASSUMEROLE from PUBLIC and grant the UNLOAD chain to the cloner user only (Redshift)', () => {
    const statements = setupStatements(tables, {
      dialect: 'redshift',
      sourceSchema: 'analytics',
      planAt: 'kitchens.config.yaml: environments.dev.clone',
      unloadRoleChain: CHAIN,
    });
    expect(statements.slice(-2)).toStrictEqual([
      'REVOKE ASSUMEROLE ON ALL FROM PUBLIC FOR ALL',
      `GRANT ASSUMEROLE ON '${CHAIN}' TO "kitchens_cloner" FOR UNLOAD`,
    ]);
    expect(statements).toContain('GRANT SELECT ON "analytics"."customers", "analytics"."orders" TO "kitchens_cloner"');
    expect(statements).toContain('REVOKE ALL ON ALL TABLES IN SCHEMA "analytics" FROM "kitchens_cloner"');
    // The key is loaded from the key file through the warehouse's own role (the first of the chain), never a parameter.
    expect(statements).toContain(
      `COPY kitchens_key_load FROM 'KITCHENSKEYFILEPLACEHOLDER' IAM_ROLE '${CHAIN.split(',')[0]}' FORMAT AS CSV`,
    );
    expect(statements.filter((s) => s.includes(':inner_key') || s.includes(':outer_key'))).toStrictEqual([]);
    expect(statements.filter((s) => /GRANT (?!USAGE|SELECT|EXECUTE|ASSUMEROLE)/.test(s))).toStrictEqual([]);
    expect(() => setupStatements(tables, { dialect: 'redshift', sourceSchema: 'analytics', planAt: 'x' })).toThrow(
      'the Redshift clone setup needs the UNLOAD role chain to grant it to the cloner user',
    );
  });

  it('should seed with a server-side COPY through the development role chain', () => {
    const dev = {
      ...S3,
      roleChain: 'arn:aws:iam::222222222222:role/acme-dev-warehouse,arn:aws:iam::222222222222:role/acme-dev-clone-copy',
    };
    const statements = seedStatements(
      'customers',
      [
        { name: 'customer_id', type: 'integer' },
        { name: 'email', type: 'varchar(64)' },
      ],
      'k_profit_report',
      dev,
      'exec-1',
      'fp',
    );
    expect(statements.slice(0, 3)).toStrictEqual([
      'DROP TABLE IF EXISTS "k_profit_report"."customers"',
      'CREATE TABLE "k_profit_report"."customers" ("customer_id" integer, "email" varchar(64))',
      `COPY "k_profit_report"."customers" FROM 's3://acme-dev-export-222222222222/snapshots/production/exec-1/tables/customers/' IAM_ROLE '${dev.roleChain}' FORMAT AS PARQUET`,
    ]);
    expect(() =>
      seedStatements('customers', [{ name: 'x', type: 'integer); DROP TABLE y; --' }], 'k', dev, 'exec-1', 'fp'),
    ).toThrow('snapshot column customers.x has a type this cloner does not create, got: "integer); DROP TABLE y; --"');
  });
});
