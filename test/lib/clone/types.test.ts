/**
 * Types reach the Kitchen unchanged, or are refused by name before anything runs (PostgreSQL, and the Redshift
 * rules against the same catalog): unconstrained numeric, text over 65,535 characters, bit(8), jsonb, arrays and
 * user-defined types; the hash input is never truncated.
 */
import { createHash } from 'crypto';
import { Client } from 'pg';
import { readCatalog } from '../../../lib/clone/catalog';
import { ConfigError } from '../../../lib/config/errors';
import { PostgresExecutor } from '../../../lib/clone/executor';
import { parseClonePlan, planDeclared, planTables } from '../../../lib/clone/planner';
import { publishSnapshot, seedKitchen } from '../../../lib/clone/snapshot';
import { CARRIED_TYPES, carried, typeProblem } from '../../../lib/clone/types';
import { freshDatabase } from './fixtures';
import { asUser, ensureUser, exportDirectory, PLAN_AT, setupProduction } from './support';

const LOCATION = { file: 'kitchens.config.yaml', at: 'environments.dev.clone' };
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

const SCHEMA = `
CREATE SCHEMA typed;
CREATE TYPE typed.mood AS ENUM ('ok', 'bad');
CREATE TABLE typed.measures (
  id integer PRIMARY KEY,
  amount numeric,
  exact numeric(38,20),
  note text,
  flags bit(8),
  free varchar,
  doc jsonb,
  at timestamptz
);
CREATE TABLE typed.exotic (id integer PRIMARY KEY, tags integer[], feeling typed.mood);
INSERT INTO typed.measures VALUES
  (1, 1e30, 0.12345678901234567890, repeat('a', 70000) || 'x', B'10110001', repeat('v', 70000), '{"email": "a@b.example"}', '2024-01-01 10:00:00+02'),
  (2, 0.12345678901234567890123, -12345678901234567.12345678901234567890, repeat('a', 70000) || 'y', B'00000001', 'short', '[1, 2]', NULL),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO typed.exotic VALUES (1, ARRAY[1, 2], 'ok');
ANALYZE;
`;

const ALL_KEPT = {
  id: 'keep',
  amount: 'keep',
  exact: 'keep',
  note: 'keep',
  flags: 'keep',
  free: 'keep',
  doc: 'keep',
  at: 'keep',
} as const;

/** The fixture's jsonb holds an email on purpose (the scan of kept text finds it): reviewed, to test types alone. */
const REVIEWED = { doc: 'test fixture: carried as it is to prove jsonb reaches the Kitchen unchanged' };

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('column types per dialect', () => {
  let url: string;
  let admin: Client;

  beforeAll(async () => {
    url = await freshDatabase('clone_types_test');
    admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(SCHEMA);
    await ensureUser(admin, 'kitchens_seeder', 'pg_read_server_files');
  });

  afterAll(async () => {
    await admin.end();
  });

  async function catalog() {
    const reader = new PostgresExecutor(url);
    try {
      return await readCatalog(reader, 'typed');
    } finally {
      await reader.close();
    }
  }

  let catalog_: Awaited<ReturnType<typeof catalog>>;
  beforeAll(async () => {
    catalog_ = await catalog();
  });

  it('should refuse arrays and user-defined types by table.column, type and what is allowed (PostgreSQL)', async () => {
    const plan = parseClonePlan(
      { tables: [{ name: 'exotic', mask: { id: 'keep', tags: 'keep', feeling: 'hash' } }] },
      LOCATION,
    );
    expect(problems(() => planTables(plan, catalog_, LOCATION))).toStrictEqual([
      `kitchens.config.yaml: environments.dev.clone.tables[0].mask.tags (exotic.tags) must be a type the Kitchen's table holds unchanged on PostgreSQL (keep copies the column's type), got: integer[]; allowed: ${CARRIED_TYPES.postgres}`,
      `kitchens.config.yaml: environments.dev.clone.tables[0].mask.feeling (exotic.feeling) must be a type whose text the keyed hash reads whole on PostgreSQL, got: mood; allowed: ${CARRIED_TYPES.postgres}, citext`,
    ]);
  });

  it('should refuse what Redshift cannot hold unchanged, naming each column', async () => {
    const plan = parseClonePlan({ tables: [{ name: 'measures', mask: { ...ALL_KEPT, free: 'hash' } }] }, LOCATION);
    const found = problems(() => planTables(plan, { ...catalog_, dialect: 'redshift' }, LOCATION));
    expect(found.map((p) => p.replace(/ must .*got: /, ' got: ').replace(/;.*$/, ''))).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].mask.amount (measures.amount) got: numeric',
      'kitchens.config.yaml: environments.dev.clone.tables[0].mask.note (measures.note) got: text',
      'kitchens.config.yaml: environments.dev.clone.tables[0].mask.flags (measures.flags) got: bit(8)',
      'kitchens.config.yaml: environments.dev.clone.tables[0].mask.free (measures.free) got: varchar',
      'kitchens.config.yaml: environments.dev.clone.tables[0].mask.doc (measures.doc) got: jsonb',
    ]);
    expect(found[0]).toContain(`; allowed: ${CARRIED_TYPES.redshift}`);
  });

  it('should carry every value unchanged on PostgreSQL: unconstrained numeric, 70,000-character text, bit(8), jsonb', async () => {
    const plan = parseClonePlan(
      { schema: 'typed', tables: [{ name: 'measures', mask: ALL_KEPT, reviewed: REVIEWED }] },
      LOCATION,
    );
    const tables = planTables(plan, catalog_, LOCATION);
    await setupProduction(admin, tables, 'typed');
    await admin.query('CREATE SCHEMA k_typed; GRANT ALL ON SCHEMA k_typed TO kitchens_seeder');
    const location = { kind: 'directory' as const, path: exportDirectory('kitchens-typed') };
    const cloner = new PostgresExecutor(asUser(url, 'kitchens_cloner'));
    const seeder = new PostgresExecutor(asUser(url, 'kitchens_seeder'));
    try {
      const pointer = await publishSnapshot({ executor: cloner, tables, sourceSchema: 'typed', location, run: 'kept' });
      await seedKitchen({ executor: seeder, targetSchema: 'k_typed', location, pointer });
    } finally {
      await cloner.close();
      await seeder.close();
    }
    const types = async (schema: string) =>
      (
        await admin.query(
          `SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale
           FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'measures' ORDER BY ordinal_position`,
          [schema],
        )
      ).rows;
    expect(await types('k_typed')).toStrictEqual(await types('typed'));
    const { rows } = await admin.query(`
      SELECT count(*) AS differing FROM typed.measures s FULL JOIN k_typed.measures k USING (id)
      WHERE k.id IS NULL OR s.id IS NULL OR (s.amount, s.exact, s.note, s.flags, s.free, s.doc, s.at)
        IS DISTINCT FROM (k.amount, k.exact, k.note, k.flags, k.free, k.doc, k.at)`);
    expect(Number(rows[0].differing)).toBe(0);
  });

  it('should hash a text longer than 65,535 characters whole (values differing only at the end differ)', async () => {
    const plan = parseClonePlan(
      {
        schema: 'typed',
        tables: [{ name: 'measures', mask: { ...ALL_KEPT, note: 'hash', free: 'null' }, reviewed: REVIEWED }],
      },
      LOCATION,
    );
    const tables = planTables(plan, catalog_, LOCATION);
    await setupProduction(admin, tables, 'typed');
    await admin.query('CREATE SCHEMA k_typed_hash; GRANT ALL ON SCHEMA k_typed_hash TO kitchens_seeder');
    const location = { kind: 'directory' as const, path: exportDirectory('kitchens-typed-hash') };
    const cloner = new PostgresExecutor(asUser(url, 'kitchens_cloner'));
    const seeder = new PostgresExecutor(asUser(url, 'kitchens_seeder'));
    try {
      const pointer = await publishSnapshot({ executor: cloner, tables, sourceSchema: 'typed', location, run: 'hash' });
      await seedKitchen({ executor: seeder, targetSchema: 'k_typed_hash', location, pointer });
    } finally {
      await cloner.close();
      await seeder.close();
    }
    const key = (await admin.query('SELECT inner_key, outer_key FROM kitchens_clone.hash_key')).rows[0];
    const { rows } = await admin.query('SELECT id, note FROM k_typed_hash.measures WHERE id < 3 ORDER BY id');
    expect(rows.map((r) => r.note)).toStrictEqual(
      ['x', 'y'].map((end) => sha(key.outer_key + sha(key.inner_key + 'a'.repeat(70000) + end))),
    );
  });

  it('fails the job in the warehouse when a declared plan (no catalog at synth) keeps a type it cannot carry', async () => {
    const plan = parseClonePlan(
      { schema: 'typed', tables: [{ name: 'exotic', mask: { id: 'keep', tags: 'keep', feeling: 'null' } }] },
      LOCATION,
    );
    const tables = planDeclared(plan, LOCATION);
    await setupProduction(admin, tables, 'typed');
    const cloner = new PostgresExecutor(asUser(url, 'kitchens_cloner'));
    try {
      await expect(
        publishSnapshot({
          executor: cloner,
          tables,
          sourceSchema: 'typed',
          location: { kind: 'directory', path: exportDirectory('kitchens-typed-guard') },
          run: 'guard',
        }),
      ).rejects.toThrow(
        `clone plan refused: types the Kitchen cannot hold unchanged (keep, null) or hash whole (hash) in ${PLAN_AT}: exotic.tags (ARRAY), exotic.feeling (USER-DEFINED)`,
      );
    } finally {
      await cloner.close();
    }
  });

  it('should refuse on Redshift a text too long to hash whole, and types beyond its limits', () => {
    expect(typeProblem('varchar(65535)', 'hash', 'redshift')).toBe(
      'must be at most varchar(65471) to be hashed on Redshift (the 64-character key and the value are hashed as one VARCHAR of at most 65535 bytes; a longer value would be truncated), got: varchar(65535); use redact or null',
    );
    expect(typeProblem('varchar(65471)', 'hash', 'redshift')).toBeUndefined();
    expect(typeProblem('varchar(65535)', 'keep', 'redshift')).toBeUndefined();
    expect([carried('numeric(38,37)', 'redshift'), carried('numeric(39,2)', 'redshift')]).toStrictEqual([true, false]);
    expect([carried('char(4096)', 'redshift'), carried('char(4097)', 'redshift')]).toStrictEqual([true, false]);
    expect([carried('bit(8)', 'postgres'), carried('bit(8)', 'redshift')]).toStrictEqual([true, false]);
  });
});
