/**
 * The cloner on a schema it was not shaped around (clinic.ts), on PostgreSQL: plans that only keep and null,
 * self-referencing and composite foreign keys, read from the catalog by a role that does not own the tables.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { parse } from 'yaml';
import { readCatalog } from '../../../lib/clone/catalog';
import { PostgresExecutor } from '../../../lib/clone/executor';
import { describeSample, parseClonePlan, planDeclared, planTables, TablePlan } from '../../../lib/clone/planner';
import { publishSnapshot, readDirectoryPointer, seedKitchen } from '../../../lib/clone/snapshot';
import { publishStatements } from '../../../lib/clone/sql';
import { starterPlan } from '../../../lib/clone/starter';
import { CLINIC_MASKS, CLINIC_SCHEMA, orphanQuery } from './clinic';
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
  async function cloneInto(target: string, raw: unknown, run: string, declared = false) {
    const reader = new PostgresExecutor(url);
    const plan = parseClonePlan(raw, LOCATION);
    const tables: TablePlan[] = declared
      ? planDeclared(plan, LOCATION)
      : planTables(plan, await readCatalog(reader, 'clinic'), LOCATION);
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

  /** Orphans per foreign key of a Kitchen schema (every foreign key of the clinic, declared or not). */
  async function orphans(schema: string): Promise<Record<string, string>> {
    const { rows } = await admin.query(orphanQuery(schema));
    return Object.fromEntries(rows.map((r) => [r.fk, `${r.orphans} of ${r.rows}`]));
  }

  /** The whole clinic, its foreign keys taken from the catalog; patients, enrolments and prescriptions sampled. */
  const fromCatalog = (fraction: number) => ({
    schema: 'clinic',
    tables: [
      { name: 'prescriptions', sample: { fraction, key: 'rx_id' }, mask: CLINIC_MASKS.prescriptions },
      { name: 'visits', mask: CLINIC_MASKS.visits },
      { name: 'patients', sample: { fraction, key: 'patient_id' }, mask: CLINIC_MASKS.patients },
      { name: 'enrol', sample: { fraction, key: 'enrolled_on' }, mask: CLINIC_MASKS.enrol },
      { name: 'clinics', mask: CLINIC_MASKS.clinics },
    ],
  });

  it('should read composite foreign keys paired by position, as a role that only reads the tables', async () => {
    await ensureUser(admin, 'clinic_reader');
    await admin.query(
      'GRANT USAGE ON SCHEMA clinic TO clinic_reader; GRANT SELECT ON ALL TABLES IN SCHEMA clinic TO clinic_reader',
    );
    const reader = new PostgresExecutor(asUser(url, 'clinic_reader'));
    try {
      const catalog = await readCatalog(reader, 'clinic');
      expect(catalog.tables.get('visits')!.foreignKeys).toStrictEqual([
        { columns: ['patient_id'], table: 'patients', keys: ['patient_id'] },
        // Declared (patient_no, clinic_code) against the key (clinic_code, patient_no): paired by position.
        { columns: ['patient_no', 'clinic_code'], table: 'enrol', keys: ['patient_no', 'clinic_code'] },
      ]);
      expect(catalog.tables.get('prescriptions')!.foreignKeys).toStrictEqual([
        { columns: ['refill_of'], table: 'prescriptions', keys: ['rx_id'] },
        { columns: ['visit_id'], table: 'visits', keys: ['visit_id'] },
      ]);
      expect(catalog.tables.get('patients')!.foreignKeys).toContainEqual({
        columns: ['referred_by'],
        table: 'patients',
        keys: ['patient_id'],
      });
    } finally {
      await reader.close();
    }
  });

  for (const fraction of [0.01, 0.1, 0.5]) {
    it(`should leave no orphan on any foreign key at fraction ${fraction}: self-references bring their ancestors`, async () => {
      const target = `k_clinic_${String(fraction).replace('.', '_')}`;
      const { tables } = await cloneInto(target, fromCatalog(fraction), `catalog-${target}`);
      expect(describeSample(tables.find((t) => t.name === 'prescriptions')!)).toBe(
        `${fraction * 100}% by hash of rx_id; with the rows refill_of refers to (ancestors by rx_id); visit_id in sampled visits.visit_id`,
      );
      const found = await orphans(target);
      expect(Object.values(found).map((v) => v.split(' of ')[0])).toStrictEqual(['0', '0', '0', '0', '0', '0', '0']);
      // Every foreign key is exercised: rows hold it (at 1 %, the sample is small but not empty).
      expect(Object.values(found).filter((v) => Number(v.split(' of ')[1]) > 0).length).toBeGreaterThan(
        fraction < 0.1 ? 3 : 6,
      );
      process.stdout.write(`clinic orphans at fraction ${fraction}: ${JSON.stringify(found)}\n`);
    });
  }

  it('should carry cyclic data (a referral ring, a refill ring) whole, without looping', async () => {
    // The rings: patients 1990..2000 and prescriptions 3991..4000 each refer around a cycle. Sampled on their own
    // (no parents in this plan), half of each table is drawn, so some member of each ring is, and the closure
    // brings the rest of its ring and stops when a round adds nothing.
    await cloneInto(
      'k_clinic_ring',
      {
        schema: 'clinic',
        tables: [
          { name: 'patients', sample: { fraction: 0.5, key: 'patient_id' }, mask: CLINIC_MASKS.patients },
          { name: 'prescriptions', sample: { fraction: 0.5, key: 'rx_id' }, mask: CLINIC_MASKS.prescriptions },
        ],
      },
      'ring',
    );
    const { rows } = await admin.query(`
      SELECT (SELECT count(*) FROM k_clinic_ring.patients WHERE patient_id >= 1990) AS patients,
             (SELECT count(*) FROM k_clinic_ring.prescriptions WHERE rx_id >= 3991) AS refills,
             (SELECT count(*) FROM k_clinic_ring.patients p WHERE referred_by IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM k_clinic_ring.patients q WHERE q.patient_id = p.referred_by)) AS orphan_patients,
             (SELECT count(*) FROM k_clinic_ring.prescriptions p WHERE refill_of IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM k_clinic_ring.prescriptions q WHERE q.rx_id = p.refill_of)) AS orphan_refills`);
    expect(Object.values(rows[0]).map(Number)).toStrictEqual([11, 10, 0, 0]);
  });

  it('should resolve a composite reference declared in the plan (no catalog), column order as declared', async () => {
    const target = 'k_clinic_declared';
    const declared = {
      schema: 'clinic',
      tables: [
        { name: 'enrol', sample: { fraction: 0.5, key: 'enrolled_on' }, mask: CLINIC_MASKS.enrol },
        {
          name: 'visits',
          references: [{ columns: ['clinic_code', 'patient_no'], table: 'enrol', keys: ['clinic_code', 'patient_no'] }],
          mask: CLINIC_MASKS.visits,
        },
      ],
    };
    await cloneInto(target, declared, 'declared', true);
    // patients and prescriptions are not in this plan: count the composite key only.
    const { rows } = await admin.query(`
      SELECT count(*) FILTER (WHERE v.patient_no IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${target}.enrol e
               WHERE e.patient_no = v.patient_no AND e.clinic_code = v.clinic_code)) AS orphans,
             count(*) FILTER (WHERE v.patient_no IS NOT NULL) AS keyed, count(*) FILTER (WHERE v.patient_no IS NULL) AS unkeyed
      FROM ${target}.visits v`);
    expect(Number(rows[0].orphans)).toBe(0);
    expect(Number(rows[0].keyed)).toBeGreaterThan(1000);
    // Visits without an enrolment (a NULL key refers to nothing) are all kept: 800 of the 4,000.
    expect(Number(rows[0].unkeyed)).toBe(800);
  });

  it('should write a starter plan (--init) whose references carry composite and self-referencing keys', async () => {
    const reader = new PostgresExecutor(url);
    const catalog = await readCatalog(reader, 'clinic');
    await reader.close();
    const text = starterPlan(catalog, { from: 'production' });
    expect(text).toContain('- { columns: [patient_no, clinic_code], table: enrol, keys: [patient_no, clinic_code] }');
    expect(text).toContain('- { column: refill_of, table: prescriptions, key: rx_id }');
    const plan = parseClonePlan(parse(text).clone, LOCATION);
    const tables = planDeclared(plan, LOCATION);
    expect(
      tables.find((t) => t.name === 'visits')!.references.map((r) => `${r.columns}->${r.table}.${r.keys}`),
    ).toStrictEqual(['patient_id->patients.patient_id', 'patient_no,clinic_code->enrol.patient_no,clinic_code']);
    // Keys followed by a foreign key are written as keep, so the starter plan plans.
    expect(text).toMatch(/refill_of: +keep +# integer; key followed by a foreign key: must stay keep/);
  });

  it('should stage key sets so no statement grows with the depth of references (Data API: 100 KB each)', () => {
    const plan = parseClonePlan(fromCatalog(0.1), LOCATION);
    const tables = planDeclared(
      parseClonePlan(
        {
          ...plan,
          tables: plan.tables.map((t) => ({
            ...t,
            references:
              t.name === 'prescriptions'
                ? [
                    { column: 'refill_of', table: 'prescriptions', key: 'rx_id' },
                    { column: 'visit_id', table: 'visits', key: 'visit_id' },
                  ]
                : t.name === 'visits'
                  ? [
                      { column: 'patient_id', table: 'patients', key: 'patient_id' },
                      { columns: ['patient_no', 'clinic_code'], table: 'enrol', keys: ['patient_no', 'clinic_code'] },
                    ]
                  : t.name === 'patients'
                    ? [
                        { column: 'referred_by', table: 'patients', key: 'patient_id' },
                        { column: 'clinic_code', table: 'clinics', key: 'clinic_code' },
                      ]
                    : t.name === 'enrol'
                      ? [{ column: 'clinic_code', table: 'clinics', key: 'clinic_code' }]
                      : [],
          })),
        },
        LOCATION,
      ),
      LOCATION,
    );
    const statements = publishStatements(tables, 'clinic', { kind: 'directory', path: '/x' }, 'postgres', 'r');
    expect(Math.max(...statements.map((sql) => sql.length))).toBeLessThan(4000);
    // Every table others (or itself) refer to is staged once: clinics, patients, enrol, visits and prescriptions.
    expect(statements.filter((sql) => sql.startsWith('CREATE TEMPORARY TABLE'))).toHaveLength(5);
    expect(statements.filter((sql) => sql.startsWith('CALL "kitchens_clone"."close_references"'))).toHaveLength(1);
  });

  it('should leave nothing behind when a publication fails half-way (files removed, pointer unchanged)', async () => {
    const plan = {
      schema: 'clinic',
      tables: [
        { name: 'clinics', mask: CLINIC_MASKS.clinics },
        { name: 'enrol', mask: CLINIC_MASKS.enrol },
      ],
    };
    const { location, pointer } = await cloneInto('k_clinic_half', plan, 'good');
    // The second table's export fails after the first table's file was written.
    await admin.query('REVOKE SELECT ON clinic.enrol FROM kitchens_cloner');
    const cloner = new PostgresExecutor(asUser(url, 'kitchens_cloner'));
    const reader = new PostgresExecutor(url);
    const tables = planTables(parseClonePlan(plan, LOCATION), await readCatalog(reader, 'clinic'), LOCATION);
    await reader.close();
    const written: string[] = [];
    const watcher = fs.watch(location.path, { recursive: true }, (_, name) => name && written.push(String(name)));
    try {
      await expect(
        publishSnapshot({ executor: cloner, tables, sourceSchema: 'clinic', location, run: 'half' }),
      ).rejects.toThrow('permission denied for table enrol');
    } finally {
      watcher.close();
      await cloner.close();
    }
    // The first table was written, then removed with the whole run; the pointer still names the good run.
    expect(written).toContain(path.join('half', 'clinics.csv'));
    expect(fs.existsSync(path.join(location.path, 'half'))).toBe(false);
    expect(readDirectoryPointer(location)).toStrictEqual(pointer);
  });
});
