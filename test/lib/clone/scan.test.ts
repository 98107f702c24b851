/**
 * Kept free text is scanned at publish, in the warehouse (PostgreSQL): email, phone, card numbers with the Luhn check
 * and patterns the plan adds. A hit fails the job naming table.column and the count per pattern, never a value,
 * unless the plan marks the column reviewed with a reason.
 */
import { Client } from 'pg';
import { readCatalog } from '../../../lib/clone/catalog';
import { ConfigError } from '../../../lib/config/errors';
import { PostgresExecutor } from '../../../lib/clone/executor';
import { suggestStrategy } from '../../../lib/clone/masking';
import { parseClonePlan, planTables } from '../../../lib/clone/planner';
import { cardCondition, scanFrom } from '../../../lib/clone/scan';
import { publishSnapshot, readDirectoryPointer, seedKitchen } from '../../../lib/clone/snapshot';
import { freshDatabase } from './fixtures';
import { asUser, ensureUser, exportDirectory, PLAN_AT, setupProduction } from './support';

const LOCATION = { file: 'kitchens.config.yaml', at: 'environments.dev.clone' };

const SCHEMA = `
CREATE SCHEMA src;
CREATE TABLE src.notes (id integer PRIMARY KEY, body text, doc jsonb, code varchar(40), big bigint, seen text);
INSERT INTO src.notes VALUES
  (1, 'Contact me at jane.doe@example.org', NULL, 'A-1', 4111111111111111, 'call 020 7946 0958'),
  (2, 'Call +44 20 7946 0958 tomorrow', '{"email": "x.y@mail.example"}', 'B-22', 5555555555554444, NULL),
  (3, 'Card 4111-1111-1111-1111 exp 12/28', '{"n": 1}', 'C-333', 1, NULL),
  (4, 'Not a card: 4111 1111 1111 1112', NULL, 'D-4444', 2, NULL),
  (5, 'order of 2024-01-01, total 12.50, ref 20240101123456', NULL, 'E-5', 3, NULL),
  (6, 'patient 943-476-5919 seen', NULL, NULL, NULL, NULL),
  (7, NULL, NULL, NULL, NULL, NULL);
ANALYZE;
`;

const MASK = { id: 'keep', body: 'keep', doc: 'keep', code: 'keep', big: 'keep', seen: 'keep' } as const;

describe('the scan of kept free text (PostgreSQL)', () => {
  let url: string;
  let admin: Client;

  beforeAll(async () => {
    url = await freshDatabase('clone_scan_test');
    admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(SCHEMA);
    await ensureUser(admin, 'kitchens_seeder', 'pg_read_server_files');
  });

  afterAll(async () => {
    await admin.end();
  });

  async function publish(raw: { tables: unknown[]; textPatterns?: unknown[] }, run: string) {
    const reader = new PostgresExecutor(url);
    const plan = parseClonePlan({ schema: 'src', ...raw }, LOCATION);
    const tables = planTables(plan, await readCatalog(reader, 'src'), LOCATION);
    await reader.close();
    // The production setup with the plan's added patterns (what the setup state machine runs on Redshift).
    await setupProduction(admin, tables, 'src', { textPatterns: plan.textPatterns });
    const location = { kind: 'directory' as const, path: exportDirectory(`kitchens-scan-${run}`) };
    const cloner = new PostgresExecutor(asUser(url, 'kitchens_cloner'));
    try {
      return {
        pointer: await publishSnapshot({ executor: cloner, tables, sourceSchema: 'src', location, run }),
        location,
      };
    } finally {
      await cloner.close();
    }
  }

  it('fails the job naming table.column and the count per pattern, never a value', async () => {
    const failure = publish(
      {
        tables: [{ name: 'notes', mask: MASK, reviewed: { seen: 'free text a reviewer read: visit outcomes only' } }],
        textPatterns: [{ name: 'nhs_number', regex: '(^|[^0-9])[0-9]{3}[ -][0-9]{3}[ -][0-9]{4}($|[^0-9])' }],
      },
      'hit',
    );
    const error = await failure.then(
      () => undefined,
      (e: Error) => e.message,
    );
    // Phone: +44 20 7946 0958, 943-476-5919 and the two grouped card-like numbers (grouped digits look like a phone).
    expect(error).toBe(
      `clone plan refused: kept text holds personal data in ${PLAN_AT}: notes.body: email 1, phone 4, card 1, nhs_number 1; ` +
        'notes.doc: email 1 (values that match; mask these columns, or mark them reviewed with a reason) (in: CALL "kitchens_clone"."check_plan"())',
    );
    for (const value of ['jane', 'example', '7946', '4111', '943', 'x.y']) expect(error).not.toContain(value);
  });

  it('should publish once the hits are masked, and skip a column marked reviewed', async () => {
    const { pointer, location } = await publish(
      {
        tables: [
          {
            name: 'notes',
            mask: { ...MASK, body: 'redact', doc: 'null' },
            reviewed: { seen: 'free text a reviewer read: visit outcomes only' },
          },
        ],
      },
      'masked',
    );
    expect(readDirectoryPointer(location)).toStrictEqual(pointer);
    await admin.query('CREATE SCHEMA k_scan; GRANT ALL ON SCHEMA k_scan TO kitchens_seeder');
    const seeder = new PostgresExecutor(asUser(url, 'kitchens_seeder'));
    try {
      const seeded = await seedKitchen({ executor: seeder, targetSchema: 'k_scan', location, pointer });
      expect(seeded.map((r) => r.rows)).toStrictEqual([7]);
    } finally {
      await seeder.close();
    }
  });

  it('should count card numbers only when they pass the Luhn check', async () => {
    const values = [
      ['4111111111111111', true],
      ['5555 5555 5555 4444', true],
      ['amex 378282246310005', true],
      ['4222222222222', true],
      ['ref 4111-1111-1111-1112', false],
      ['1234567890123456', false],
      ['123456789012', false],
      ['first 1234 5678 then 4111 1111 1111 1111', true],
    ] as const;
    const { rows } = await admin.query(
      `SELECT v, (${cardCondition()}) AS card FROM ${scanFrom(values.map(([v]) => `SELECT '${v}'::text AS v`).join(' UNION ALL '))}`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.v, r.card]))).toStrictEqual(Object.fromEntries(values));
  });

  it('fails the plan when a reviewed column is not kept', () => {
    expect(() =>
      planTables(
        parseClonePlan(
          {
            tables: [{ name: 'notes', mask: { ...MASK, body: 'redact' }, reviewed: { body: 'reviewed by the team' } }],
          },
          LOCATION,
        ),
        {
          schema: 'src',
          dialect: 'postgres',
          tables: new Map([
            [
              'notes',
              {
                name: 'notes',
                columns: Object.keys(MASK).map((name) => ({ name, type: 'text', isText: true })),
                foreignKeys: [],
                estimatedRows: 7,
              },
            ],
          ]),
        },
        LOCATION,
      ),
    ).toThrow(ConfigError);
  });

  it('should suggest (--init) hash for email-like text of any type, null for documents and binary, hash or redact for free text', () => {
    const suggest = (name: string, type: string, isText: boolean) => suggestStrategy({ name, type, isText }).strategy;
    expect([
      suggest('email', 'citext', true),
      suggest('contact_email', 'text', true),
      suggest('profile', 'jsonb', false),
      suggest('payload', 'json', false),
      suggest('scan', 'bytea', false),
      suggest('body', 'text', true),
      suggest('description', 'varchar(2000)', true),
      suggest('clinical_notes', 'text', true),
      suggest('comment', 'varchar(65535)', true),
      suggest('status', 'varchar(20)', true),
    ]).toStrictEqual(['hash', 'hash', 'null', 'null', 'null', 'redact', 'redact', 'hash', 'redact', 'keep']);
  });
});
