/**
 * Property test (fast-check) on PostgreSQL: generated schemas with self-reference chains and rings, composite keys,
 * nullable keys and diamonds (a table following two parents that follow the same grandparent), sampled at 1 %, 10 %
 * and 50 %, with references read from the catalog or declared in the plan. Whatever the schema, every foreign key of
 * the Kitchen resolves: 0 orphans.
 */
import fc from 'fast-check';
import { Client } from 'pg';
import { readCatalog } from '../../../lib/clone/catalog';
import { PostgresExecutor } from '../../../lib/clone/executor';
import { parseClonePlan, planDeclared, planTables } from '../../../lib/clone/planner';
import { publishSnapshot, seedKitchen } from '../../../lib/clone/snapshot';
import { freshDatabase } from './fixtures';
import { asUser, ensureUser, exportDirectory, setupProduction } from './support';

const ROWS = 150;
const LOCATION = { file: 'kitchens.config.yaml', at: 'environments.dev.clone' };

interface GeneratedKey {
  /** Index of the parent table (this table's own index for a self-reference). */
  readonly parent: number;
  readonly nullable: boolean;
  /** Multiplier choosing the parent row of row g (any function of g: chains, rings and shared parents). */
  readonly spread: number;
}

interface GeneratedTable {
  readonly composite: boolean;
  readonly keys: readonly GeneratedKey[];
  readonly sampled: boolean;
}

interface GeneratedSchema {
  readonly tables: readonly GeneratedTable[];
  readonly declared: boolean;
}

const schemaArbitrary: fc.Arbitrary<GeneratedSchema> = fc.integer({ min: 2, max: 5 }).chain((count) =>
  fc.record({
    tables: fc.tuple(
      ...Array.from({ length: count }, (_, i) =>
        fc.record({
          composite: fc.boolean(),
          sampled: fc.boolean(),
          keys: fc.uniqueArray(
            fc.record({
              parent: fc.integer({ min: 0, max: i }),
              nullable: fc.boolean(),
              spread: fc.integer({ min: 1, max: 97 }),
            }),
            { maxLength: 3, selector: (k) => k.parent },
          ),
        }),
      ),
    ),
    declared: fc.boolean(),
  }),
);

const keyColumns = (t: GeneratedTable): string[] => (t.composite ? ['ka', 'kb'] : ['id']);
/** The key of row n (1..ROWS) as SQL expressions, per key column. */
const keyValues = (t: GeneratedTable, n: string): string[] =>
  t.composite ? [`(${n}) % 10`, `'b' || ((${n}) / 10)`] : [`${n}`];
const fkColumns = (k: number, parent: GeneratedTable): string[] => keyColumns(parent).map((c) => `fk${k}_${c}`);

function ddl(schema: string, s: GeneratedSchema): string[] {
  const statements = [`CREATE SCHEMA ${schema}`];
  s.tables.forEach((t, i) => {
    const columns = [
      'id integer NOT NULL',
      ...(t.composite ? ['ka integer NOT NULL', 'kb varchar(12) NOT NULL'] : []),
      ...t.keys.flatMap((k, j) =>
        fkColumns(j, s.tables[k.parent]).map((c) => `${c} ${c.endsWith('kb') ? 'varchar(12)' : 'integer'}`),
      ),
      'label varchar(40)',
    ];
    statements.push(
      `CREATE TABLE ${schema}.g${i} (${columns.join(', ')}, PRIMARY KEY (${keyColumns(t).join(', ')}))`,
      `INSERT INTO ${schema}.g${i} (id${t.composite ? ', ka, kb' : ''}, label) ` +
        `SELECT g${t.composite ? `, ${keyValues(t, 'g').join(', ')}` : ''}, 'row ' || g FROM generate_series(1, ${ROWS}) g`,
    );
  });
  // Foreign keys after every row exists: a row may refer to any row, rings and self-references included.
  s.tables.forEach((t, i) => {
    t.keys.forEach((k, j) => {
      const parent = s.tables[k.parent];
      const columns = fkColumns(j, parent);
      const n = `1 + (id * ${k.spread} + ${j}) % ${ROWS}`;
      const values = keyValues(parent, n);
      const set = columns.map((c, x) =>
        k.nullable ? `${c} = CASE WHEN id % 4 = 0 THEN NULL ELSE ${values[x]} END` : `${c} = ${values[x]}`,
      );
      statements.push(
        `UPDATE ${schema}.g${i} SET ${set.join(', ')}`,
        `ALTER TABLE ${schema}.g${i} ADD FOREIGN KEY (${columns.join(', ')}) REFERENCES ${schema}.g${k.parent} (${keyColumns(parent).join(', ')})`,
      );
    });
  });
  statements.push(`ANALYZE`);
  return statements;
}

function rawPlan(schema: string, s: GeneratedSchema, fraction: number): unknown {
  return {
    schema,
    tables: s.tables.map((t, i) => {
      const columns = [
        'id',
        ...(t.composite ? ['ka', 'kb'] : []),
        ...t.keys.flatMap((k, j) => fkColumns(j, s.tables[k.parent])),
      ];
      return {
        name: `g${i}`,
        ...(t.sampled ? { sample: { fraction, key: 'id' } } : {}),
        ...(s.declared
          ? {
              references: t.keys.map((k, j) => ({
                columns: fkColumns(j, s.tables[k.parent]),
                table: `g${k.parent}`,
                keys: keyColumns(s.tables[k.parent]),
              })),
            }
          : {}),
        mask: { ...Object.fromEntries(columns.map((c) => [c, 'keep'])), label: 'hash' },
      };
    }),
  };
}

function orphansQuery(schema: string, s: GeneratedSchema): string {
  return s.tables
    .flatMap((t, i) =>
      t.keys.map((k, j) => {
        const parent = s.tables[k.parent];
        const columns = fkColumns(j, parent);
        const on = columns.map((c, x) => `p.${keyColumns(parent)[x]} = c.${c}`).join(' AND ');
        return (
          `SELECT 'g${i}.${columns.join(',')}' AS fk, count(*) AS orphans FROM ${schema}.g${i} c ` +
          `WHERE ${columns.map((c) => `c.${c} IS NOT NULL`).join(' AND ')} ` +
          `AND NOT EXISTS (SELECT 1 FROM ${schema}.g${k.parent} p WHERE ${on})`
        );
      }),
    )
    .join(' UNION ALL ');
}

describe('every foreign key resolves on generated schemas (fast-check, PostgreSQL)', () => {
  let url: string;
  let admin: Client;
  let round = 0;

  beforeAll(async () => {
    url = await freshDatabase('clone_closure_property');
    admin = new Client({ connectionString: url });
    await admin.connect();
    await ensureUser(admin, 'kitchens_seeder', 'pg_read_server_files');
  });

  afterAll(async () => {
    await admin.end();
  });

  for (const fraction of [0.01, 0.1, 0.5]) {
    it(`should leave 0 orphans at fraction ${fraction}`, async () => {
      await fc.assert(
        fc.asyncProperty(schemaArbitrary, async (generated) => {
          round += 1;
          const schema = `gen_${round}`;
          const target = `k_gen_${round}`;
          for (const sql of ddl(schema, generated)) await admin.query(sql);
          await admin.query(`CREATE SCHEMA ${target}; GRANT ALL ON SCHEMA ${target} TO kitchens_seeder`);
          const plan = parseClonePlan(rawPlan(schema, generated, fraction), LOCATION);
          const reader = new PostgresExecutor(url);
          const tables = generated.declared
            ? planDeclared(plan, LOCATION)
            : planTables(plan, await readCatalog(reader, schema), LOCATION);
          await reader.close();
          await setupProduction(admin, tables, schema);
          const cloner = new PostgresExecutor(asUser(url, 'kitchens_cloner'));
          const seeder = new PostgresExecutor(asUser(url, 'kitchens_seeder'));
          const location = { kind: 'directory' as const, path: exportDirectory(`kitchens-gen-${round}`) };
          try {
            const pointer = await publishSnapshot({
              executor: cloner,
              tables,
              sourceSchema: schema,
              location,
              run: 'p',
            });
            await seedKitchen({ executor: seeder, targetSchema: target, location, pointer });
          } finally {
            await cloner.close();
            await seeder.close();
          }
          const query = orphansQuery(target, generated);
          if (query !== '') {
            const { rows } = await admin.query(query);
            const found = rows.filter((r) => Number(r.orphans) > 0).map((r) => `${r.fk}: ${r.orphans}`);
            expect(found).toStrictEqual([]);
          }
          await admin.query(`DROP SCHEMA ${schema} CASCADE; DROP SCHEMA ${target} CASCADE`);
        }),
        { numRuns: 8, seed: 2300 + Math.round(fraction * 100) },
      );
    });
  }
});
