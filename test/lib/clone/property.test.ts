/**
 * Property-style test on PostgreSQL: tables with generated column names and types. A plan that leaves some columns
 * undeclared is refused (by the planner, and by the guard inside the warehouse), naming exactly those columns; with
 * every column declared, no source value of a hash, redact or null column reaches the Kitchen.
 */
import { Client } from 'pg';
import { readCatalog } from '../../../lib/clone/catalog';
import { ConfigError } from '../../../lib/config/errors';
import { PostgresExecutor } from '../../../lib/clone/executor';
import type { MaskStrategy } from '../../../lib/clone/plan';
import { parseClonePlan, planTables, TablePlan } from '../../../lib/clone/planner';
import { publishSnapshot, seedKitchen } from '../../../lib/clone/snapshot';
import { freshDatabase } from './fixtures';
import { asUser, ensureUser, exportDirectory, PLAN_AT, setupProduction } from './support';
import { random } from '../../support/random';

const ROUNDS = 4;
const ROWS = 300;
const LOCATION = { file: 'kitchens.config.yaml', at: 'environments.dev.clone' };

interface GeneratedColumn {
  readonly name: string;
  readonly type: string;
  readonly text: boolean;
  readonly values: string;
}

const PARTS = [
  'phone',
  'number',
  'cell',
  'addr',
  'post',
  'code',
  'bank',
  'acct',
  'note',
  'ip',
  'x',
  'val',
  'q',
  'z9',
  'mail',
];

function generateColumns(next: () => number, index: number): GeneratedColumn[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const count = 3 + Math.floor(next() * 6);
  const names = new Set<string>();
  while (names.size < count) {
    names.add(`${pick(PARTS)}${pick(['', '_', '1'])}${pick(PARTS)}${names.size}`);
  }
  return [...names].map((name, i) => {
    const k = index * 100 + i + 1;
    const nulls = (expr: string) => `CASE WHEN g % 9 = ${i % 9} THEN NULL ELSE ${expr} END`;
    const kind = pick([
      'varchar',
      'char',
      'text',
      'integer',
      'bigint',
      'numeric',
      'date',
      'timestamp',
      'boolean',
      'double',
    ]);
    switch (kind) {
      case 'varchar':
        return {
          name,
          type: `varchar(${40 + Math.floor(next() * 80)})`,
          text: true,
          values: nulls(`'${name}-' || md5(g::text || '${k}')`),
        };
      case 'char':
        return { name, type: 'char(12)', text: true, values: nulls(`substr(md5(g::text || '${k}'), 1, 12)`) };
      case 'text':
        return { name, type: 'text', text: true, values: nulls(`'t${k} ' || g`) };
      case 'integer':
        return { name, type: 'integer', text: false, values: nulls(`${(k % 2000) * 1000000} + g`) };
      case 'bigint':
        return { name, type: 'bigint', text: false, values: nulls(`${k}::bigint * 10000000000 + g`) };
      case 'numeric':
        return { name, type: 'numeric(14,2)', text: false, values: nulls(`${k * 100000} + g / 100.0`) };
      case 'date':
        return { name, type: 'date', text: false, values: nulls(`DATE '1950-01-01' + (g * ${k % 1000}) % 20000`) };
      case 'timestamp':
        return {
          name,
          type: 'timestamp',
          text: false,
          values: nulls(`TIMESTAMP '2020-01-01' + (g * ${k % 1000}) * INTERVAL '1 minute'`),
        };
      case 'boolean':
        return { name, type: 'boolean', text: false, values: nulls(`(g * ${k}) % 3 = 0`) };
      default:
        return { name, type: 'double precision', text: false, values: nulls(`${k} + g * 0.25`) };
    }
  });
}

function strategyFor(next: () => number, c: GeneratedColumn): MaskStrategy {
  const allowed: MaskStrategy[] = c.text
    ? ['keep', 'hash', 'redact', 'null']
    : c.type === 'boolean'
      ? ['keep', 'null']
      : ['keep', 'hash', 'null'];
  return allowed[Math.floor(next() * allowed.length)];
}

describe('deny-by-default masking over generated tables (PostgreSQL)', () => {
  let url: string;
  let admin: Client;

  beforeAll(async () => {
    url = await freshDatabase('clone_property_test');
    admin = new Client({ connectionString: url });
    await admin.connect();
    await ensureUser(admin, 'kitchens_seeder', 'pg_read_server_files');
  });

  afterAll(async () => {
    await admin.end();
  });

  for (let round = 0; round < ROUNDS; round++) {
    const seed = 9100 + round;
    it(`should refuse partial plans and leak nothing with full ones (seed ${seed})`, async () => {
      const next = random(seed);
      const schema = `prop_${round}`;
      const target = `k_prop_${round}`;
      const tables = [0, 1].map((t) => ({
        name: `t${t}_${Math.floor(next() * 1000)}`,
        columns: generateColumns(next, round * 10 + t),
      }));
      await admin.query(`CREATE SCHEMA ${schema}`);
      for (const t of tables) {
        await admin.query(
          `CREATE TABLE ${schema}.${t.name} (id integer PRIMARY KEY, ${t.columns.map((c) => `"${c.name}" ${c.type}`).join(', ')})`,
        );
        await admin.query(
          `INSERT INTO ${schema}.${t.name} SELECT g, ${t.columns.map((c) => c.values).join(', ')} FROM generate_series(1, ${ROWS}) g`,
        );
      }
      await admin.query(`ANALYZE; CREATE SCHEMA ${target}; GRANT ALL ON SCHEMA ${target} TO kitchens_seeder`);
      const strategies = new Map<string, MaskStrategy>(
        tables.flatMap((t) => t.columns.map((c) => [`${t.name}.${c.name}`, strategyFor(next, c)] as const)),
      );
      const reader = new PostgresExecutor(url);
      const catalog = await readCatalog(reader, schema);
      await reader.close();

      // 1. A plan that leaves out a random, non-empty subset of columns is refused, naming exactly those.
      const left = new Set([...strategies.keys()].filter(() => next() < 0.4));
      if (left.size === 0) left.add([...strategies.keys()][0]);
      const partial = {
        tables: tables.map((t) => ({
          name: t.name,
          mask: Object.fromEntries([
            ['id', 'keep'],
            ...t.columns
              .filter((c) => !left.has(`${t.name}.${c.name}`))
              .map((c) => [c.name, strategies.get(`${t.name}.${c.name}`)]),
          ]),
        })),
      };
      let refused: string[] = [];
      try {
        planTables(parseClonePlan(partial, LOCATION), catalog, LOCATION);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        refused = [...e.problems];
      }
      const listed = refused.flatMap((p) => p.replace(/^.*undeclared: /, '').split(', '));
      expect(listed.sort()).toStrictEqual([...left].sort());

      // 2. The same gap inside the warehouse (a column production has but the deployed plan lacks): the guard fails.
      const full = {
        tables: tables.map((t) => ({
          name: t.name,
          mask: Object.fromEntries([
            ['id', 'keep'],
            ...t.columns.map((c) => [c.name, strategies.get(`${t.name}.${c.name}`)]),
          ]),
        })),
      };
      const planned: TablePlan[] = planTables(parseClonePlan(full, LOCATION), catalog, LOCATION);
      const gap = planned.map((t) => ({ ...t, masking: t.masking.filter((m) => !left.has(`${t.name}.${m.column}`)) }));
      await setupProduction(admin, gap, schema);
      const cloner = new PostgresExecutor(asUser(url, 'kitchens_cloner'));
      const location = { kind: 'directory' as const, path: exportDirectory(`kitchens-prop-${round}`) };
      try {
        const guarded = publishSnapshot({ executor: cloner, tables: gap, sourceSchema: schema, location, run: 'gap' });
        const inOrder: string[] = [...planned]
          .sort((a, b) => (a.name < b.name ? -1 : 1))
          .flatMap((t) => catalog.tables.get(t.name)!.columns.map((c) => `${t.name}.${c.name}`))
          .filter((c) => left.has(c));
        await expect(guarded).rejects.toThrow(
          `clone plan refused: columns without a declared strategy in ${PLAN_AT}: ${inOrder.join(', ')}`,
        );

        // 3. Everything declared: publish and seed, then compare value by value.
        await setupProduction(admin, planned, schema);
        const pointer = await publishSnapshot({
          executor: cloner,
          tables: planned,
          sourceSchema: schema,
          location,
          run: 'full',
        });
        const seeder = new PostgresExecutor(asUser(url, 'kitchens_seeder'));
        await seedKitchen({ executor: seeder, targetSchema: target, location, pointer });
        await seeder.close();
      } finally {
        await cloner.close();
      }
      let checked = 0;
      for (const t of tables) {
        const maskedOut = ['id', ...t.columns.map((c) => c.name)].filter(
          (c) => (strategies.get(`${t.name}.${c}`) ?? 'keep') !== 'keep',
        );
        for (const c of t.columns) {
          const strategy = strategies.get(`${t.name}.${c.name}`)!;
          const sourceRows = (await admin.query(`SELECT count(*) AS n FROM ${schema}.${t.name}`)).rows[0].n;
          const targetRows = (await admin.query(`SELECT count(*) AS n FROM ${target}.${t.name}`)).rows[0].n;
          expect(Number(targetRows)).toBe(Number(sourceRows));
          if (strategy === 'keep') continue;
          const { rows } = await admin.query(
            `SELECT count(*) AS leaks FROM (SELECT DISTINCT CAST("${c.name}" AS text) AS v FROM ${schema}.${t.name} WHERE "${c.name}" IS NOT NULL) s
             JOIN (SELECT DISTINCT j.value AS v FROM ${target}.${t.name} kk, jsonb_each_text(to_jsonb(kk)) j
                   WHERE j.key IN (${maskedOut.map((m) => `'${m}'`).join(', ')})) k ON k.v = s.v`,
          );
          expect(`${t.name}.${c.name} (${c.type}, ${strategy}): ${rows[0].leaks}`).toBe(
            `${t.name}.${c.name} (${c.type}, ${strategy}): 0`,
          );
          const shape = await admin.query(
            strategy === 'null'
              ? `SELECT count(*) AS bad FROM ${target}.${t.name} WHERE "${c.name}" IS NOT NULL`
              : strategy === 'redact'
                ? `SELECT count(*) AS bad FROM ${target}.${t.name} WHERE "${c.name}" <> 'REDACTED'`
                : `SELECT count(*) AS bad FROM ${target}.${t.name} WHERE "${c.name}" !~ '^[0-9a-f]{64}$'`,
          );
          expect(Number(shape.rows[0].bad)).toBe(0);
          checked += 1;
        }
      }
      // Every round masks something (the generator never keeps every column of both tables).
      expect(checked).toBeGreaterThan(0);
    });
  }
});
