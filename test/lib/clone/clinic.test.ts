/**
 * The cloner on a schema it was not shaped around (clinic.ts), on PostgreSQL: plans that only keep and null,
 * self-referencing and composite foreign keys, read from the catalog by a role that does not own the tables.
 */
import { Client } from 'pg';
import { readCatalog } from '../../../lib/clone/catalog';
import { PostgresExecutor } from '../../../lib/clone/executor';
import { parseClonePlan, planTables } from '../../../lib/clone/planner';
import { publishSnapshot, seedKitchen } from '../../../lib/clone/snapshot';
import { CLINIC_MASKS, CLINIC_SCHEMA } from './clinic';
import { freshDatabase } from './fixtures';
import { asUser, ensureUser, exportDirectory, setupProduction } from './support';

const LOCATION = { file: 'kitchens.config.yaml', at: 'environments.dev.clone' };

describe('the cloner on a clinic schema (PostgreSQL)', () => {
  let url: string;
  let admin: Client;

  beforeAll(async () => {
    url = await freshDatabase('clone_clinic_test');
    admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(CLINIC_SCHEMA);
    await ensureUser(admin, 'kitchens_seeder', 'pg_read_server_files');
  });

  afterAll(async () => {
    await admin.end();
  });

  /** Plans against the catalog, sets production up, publishes as the cloner and seeds a fresh Kitchen schema. */
  async function cloneInto(target: string, raw: unknown, run: string) {
    const reader = new PostgresExecutor(url);
    const tables = planTables(parseClonePlan(raw, LOCATION), await readCatalog(reader, 'clinic'), LOCATION);
    await reader.close();
    await setupProduction(admin, tables, 'clinic');
    await admin.query(
      `DROP SCHEMA IF EXISTS ${target} CASCADE; CREATE SCHEMA ${target}; GRANT ALL ON SCHEMA ${target} TO kitchens_seeder`,
    );
    const location = { kind: 'directory' as const, path: exportDirectory(`kitchens-clinic-${run}`) };
    const cloner = new PostgresExecutor(asUser(url, 'kitchens_cloner'));
    const seeder = new PostgresExecutor(asUser(url, 'kitchens_seeder'));
    try {
      const pointer = await publishSnapshot({ executor: cloner, tables, sourceSchema: 'clinic', location, run });
      const seeded = await seedKitchen({ executor: seeder, targetSchema: target, location, pointer });
      return { tables, pointer, seeded, location };
    } finally {
      await cloner.close();
      await seeder.close();
    }
  }

  it('should publish and seed a plan that only keeps and nulls (no hash, no redact)', async () => {
    const { seeded } = await cloneInto(
      'k_keep_null',
      {
        schema: 'clinic',
        tables: [
          { name: 'clinics', mask: { clinic_code: 'keep', city: 'null' } },
          { name: 'enrol', mask: CLINIC_MASKS.enrol },
        ],
      },
      'keep-null',
    );
    expect(seeded.map((r) => `${r.table}:${r.rows}`)).toStrictEqual(['clinics:20', 'enrol:4000']);
    const { rows } = await admin.query(
      `SELECT count(*) FILTER (WHERE city IS NOT NULL) AS cities, count(*) AS n FROM k_keep_null.clinics`,
    );
    expect([Number(rows[0].cities), Number(rows[0].n)]).toStrictEqual([0, 20]);
    const types = await admin.query(
      `SELECT column_name, data_type, character_maximum_length FROM information_schema.columns
       WHERE table_schema = 'k_keep_null' AND table_name = 'clinics' ORDER BY ordinal_position`,
    );
    expect(types.rows.map((r) => `${r.column_name} ${r.data_type}(${r.character_maximum_length})`)).toStrictEqual([
      'clinic_code character varying(8)',
      'city character varying(40)',
    ]);
  });
});
