import { ConfigError } from '../../../lib/config/errors';
import { looksPersonal, suggestStrategy } from '../../../lib/clone/masking';
import { declaredNonPersonal, nonPersonalPrefixes } from '../../../lib/clone/plan';
import { describeSample, parseClonePlan, planTables } from '../../../lib/clone/planner';
import { CATALOG, CATALOG_MASKS } from './catalog-fixture';

const LOCATION = { file: 'kitchens.config.yaml', at: 'environments.dev.clone' };

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const CUSTOMERS_MASK = CATALOG_MASKS.customers;
const ORDERS_MASK = CATALOG_MASKS.orders;
const ITEMS_MASK = CATALOG_MASKS.order_items;

describe('clone plan', () => {
  describe('a valid plan', () => {
    const plan = parseClonePlan(
      {
        tables: [
          { name: 'order_items', mask: ITEMS_MASK },
          { name: 'orders', sample: { limit: 500, key: 'order_id' }, mask: ORDERS_MASK },
          { name: 'customers', sample: { fraction: 0.1, key: 'customer_id' }, mask: CUSTOMERS_MASK },
        ],
      },
      LOCATION,
    );
    const tables = planTables(plan, CATALOG, LOCATION);

    it('should order parents before children, following catalog foreign keys', () => {
      expect(tables.map((t) => t.name)).toStrictEqual(['customers', 'orders', 'order_items']);
      expect(tables[1].references).toStrictEqual([
        { columns: ['customer_id'], table: 'customers', keys: ['customer_id'], origin: 'catalog' },
      ]);
    });

    it('should take every strategy from the plan, in column order', () => {
      expect(tables[0].masking.map((m) => `${m.column}:${m.strategy}`)).toStrictEqual([
        'customer_id:keep',
        'email:hash',
        'full_name:redact',
        'country:keep',
        'birth_date:null',
        'vip:keep',
      ]);
    });

    it('should estimate rows from statistics, fraction, limit and the parents share', () => {
      expect(tables.map((t) => t.estimatedRows)).toStrictEqual([200, 500, 1500]);
      expect(describeSample(tables[1])).toBe('at most 500 rows; customer_id in sampled customers.customer_id');
      expect(describeSample(tables[0])).toBe('10% by hash of customer_id');
    });
  });

  it('fails when a column has no declared strategy, listing each with its table (deny by default)', () => {
    const catalog = {
      ...CATALOG,
      tables: new Map([
        ...CATALOG.tables,
        [
          'contacts',
          {
            name: 'contacts',
            foreignKeys: [],
            estimatedRows: 10,
            columns: ['contact_id', 'phonenumber', 'cellphone', 'addr1', 'post_code', 'bank_account'].map((name) => ({
              name,
              type: name === 'contact_id' ? 'integer' : 'varchar(40)',
              isText: name !== 'contact_id',
            })),
          },
        ],
      ]),
    };
    const plan = parseClonePlan(
      {
        tables: [
          { name: 'contacts', mask: { contact_id: 'keep', cellphone: 'hash', addr1: 'redact' } },
          { name: 'customers', mask: Object.fromEntries(Object.entries(CUSTOMERS_MASK).filter(([c]) => c !== 'vip')) },
        ],
      },
      LOCATION,
    );
    expect(problems(() => planTables(plan, catalog, LOCATION))).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].mask must declare a strategy (keep, hash, redact, null) for every column; undeclared: contacts.phonenumber, contacts.post_code, contacts.bank_account',
      'kitchens.config.yaml: environments.dev.clone.tables[1].mask must declare a strategy (keep, hash, redact, null) for every column; undeclared: customers.vip',
    ]);
  });

  it('fails on free SQL in sample.where (the UNION attack) and on malformed filters', () => {
    expect(
      problems(() =>
        parseClonePlan(
          {
            tables: [
              {
                name: 'orders',
                sample: {
                  where:
                    'true) UNION ALL SELECT c.customer_id, c.full_name, c.email FROM analytics.customers c WHERE (true',
                },
              },
              { name: 'customers', sample: { where: { column: 'country', op: 'in', value: 'GB' } } },
              { name: 'order_items', sample: { where: { and: [{ column: 'sku', op: 'like', value: 'A%' }] } } },
              { name: 'products', sample: { where: { column: 'sku', op: '=', value: 'x', sql: '1=1' } } },
            ],
          },
          LOCATION,
        ),
      ),
    ).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].sample.where must be a structured filter: { column, op, value } (op one of =, <>, <, <=, >, >=, in, not in, is null, is not null; "in"/"not in" take values: [...]) or { and: [...] } / { or: [...] }; SQL text is not accepted, got: "true) UNION ALL SELECT c.customer_id, c.full_name, c.email FROM analytics.cu...',
      'kitchens.config.yaml: environments.dev.clone.tables[1].sample.where must give values: [...] (and no value) with op "in", got: {"column":"country","op":"in","value":"GB"}',
      'kitchens.config.yaml: environments.dev.clone.tables[2].sample.where.and[0].op must be one of =, <>, <, <=, >, >=, in, not in, is null, is not null, got: "like"',
      'kitchens.config.yaml: environments.dev.clone.tables[3].sample.where.sql is not a known setting; allowed here: column, op, value, values, and, or',
    ]);
  });

  it('fails on a filter over a masked or unknown column', () => {
    const plan = parseClonePlan(
      {
        tables: [
          {
            name: 'customers',
            mask: CUSTOMERS_MASK,
            sample: {
              where: {
                and: [
                  { column: 'email', op: '=', value: 'ceo@example.com' },
                  { column: 'nope', op: 'is null' },
                ],
              },
            },
          },
        ],
      },
      LOCATION,
    );
    expect(problems(() => planTables(plan, CATALOG, LOCATION))).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].sample.where may only filter on columns kept as they are (a filter on a masked column reveals its values), got: customers.email (hash)',
      'kitchens.config.yaml: environments.dev.clone.tables[0].sample.where must name columns of table customers, got: "nope"; columns are: customer_id, email, full_name, country, birth_date, vip',
    ]);
  });

  it('fails on production objects outside the declared non-personal prefixes', () => {
    expect(
      problems(() =>
        parseClonePlan(
          {
            nonPersonal: [{ bucket: 'curated', prefix: 'reference/', reason: 'country and currency code lists' }],
            objects: [
              { bucket: 'landing', prefix: 'partner-globex/orders/' },
              { bucket: 'curated', prefix: 'reference/countries/' },
              { bucket: 'curated', prefix: 'customers/' },
            ],
          },
          LOCATION,
        ),
      ),
    ).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.objects[0] must lie below a prefix declared in environments.dev.clone.nonPersonal (files from production are published only where a reviewer declared them free of personal data), got: landing:partner-globex/orders/; declared non-personal: curated:reference/',
      'kitchens.config.yaml: environments.dev.clone.objects[2] must lie below a prefix declared in environments.dev.clone.nonPersonal (files from production are published only where a reviewer declared them free of personal data), got: curated:customers/; declared non-personal: curated:reference/',
    ]);
  });

  it('should list the declared non-personal prefixes for reports (pure, from the raw plan)', () => {
    const raw = {
      nonPersonal: [{ bucket: 'curated', prefix: 'reference/', reason: 'country and currency code lists' }],
      objects: [{ bucket: 'curated', prefix: 'reference/countries/' }],
    };
    expect(nonPersonalPrefixes(raw)).toStrictEqual([
      { bucket: 'curated', prefix: 'reference/', reason: 'country and currency code lists' },
    ]);
    expect(nonPersonalPrefixes(undefined)).toStrictEqual([]);
    expect(declaredNonPersonal({ bucket: 'curated', prefix: 'reference/x/' }, nonPersonalPrefixes(raw))?.prefix).toBe(
      'reference/',
    );
    expect(declaredNonPersonal({ bucket: 'landing', prefix: 'reference/' }, nonPersonalPrefixes(raw))).toBeUndefined();
  });

  it('should suggest strategies from column names, for a reviewer to confirm', () => {
    const personal = [
      'email',
      'phonenumber',
      'cellphone',
      'addr1',
      'post_code',
      'bank_account',
      'national_insurance',
      'medical_notes',
      'ipaddr',
      'first_name',
      'date_of_birth',
    ];
    const other = ['order_id', 'amount', 'status', 'created_at', 'sku', 'quantity', 'price'];
    expect(personal.filter((c) => !looksPersonal(c))).toStrictEqual([]);
    expect(other.filter((c) => looksPersonal(c))).toStrictEqual([]);
    expect(suggestStrategy({ name: 'email', isText: true }).strategy).toBe('hash');
    expect(suggestStrategy({ name: 'date_of_birth', isText: false }).strategy).toBe('null');
    expect(suggestStrategy({ name: 'amount', isText: false }).strategy).toBe('keep');
  });

  it('fails on an unknown table or column, before anything runs', () => {
    const plan = parseClonePlan(
      {
        tables: [
          { name: 'ordrs' },
          { name: 'customers', mask: { ...CUSTOMERS_MASK, emial: 'hash' }, sample: { fraction: 0.5, key: 'id' } },
          { name: 'orders', mask: ORDERS_MASK, references: [{ column: 'cust', table: 'clients', key: 'id' }] },
        ],
      },
      LOCATION,
    );
    expect(problems(() => planTables(plan, CATALOG, LOCATION))).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].name must name a table of schema "analytics" in the source, got: "ordrs"; tables are: customers, order_items, orders',
      'kitchens.config.yaml: environments.dev.clone.tables[1].mask.emial must name a column of table customers, got: "emial"; columns are: customer_id, email, full_name, country, birth_date, vip',
      'kitchens.config.yaml: environments.dev.clone.tables[1].sample.key must name a column of table customers, got: "id"; columns are: customer_id, email, full_name, country, birth_date, vip',
      'kitchens.config.yaml: environments.dev.clone.tables[2].references[0].column must name a column of table orders, got: "cust"; columns are: order_id, customer_id, customer_email, amount',
      'kitchens.config.yaml: environments.dev.clone.tables[2].references[0].table must name a table of the plan (or orders itself), got: "clients"; tables in the plan are: ordrs, customers, orders',
    ]);
  });

  it('fails when a key used for sampling or a foreign key is masked', () => {
    const plan = parseClonePlan(
      {
        tables: [
          { name: 'customers', sample: { fraction: 0.5, key: 'email' }, mask: CUSTOMERS_MASK },
          {
            name: 'orders',
            mask: { ...ORDERS_MASK, customer_id: 'hash' },
            sample: { fraction: 0.5, key: 'order_id' },
          },
          { name: 'order_items', mask: ITEMS_MASK },
        ],
      },
      LOCATION,
    );
    expect(problems(() => planTables(plan, CATALOG, LOCATION))).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].mask.email must be "keep": email is the sample key of table customers and a masked key cannot choose the same rows in every table; got: "hash"',
      'kitchens.config.yaml: environments.dev.clone.tables[1].mask.customer_id must be "keep": customer_id refers to customers.customer_id and children are sampled by their parent\'s keys; got: "hash"',
    ]);
  });

  it('fails when a parent key that children follow is masked', () => {
    const plan = parseClonePlan(
      {
        tables: [
          { name: 'customers', mask: { ...CUSTOMERS_MASK, customer_id: 'null' } },
          { name: 'orders', mask: ORDERS_MASK },
        ],
      },
      LOCATION,
    );
    expect(problems(() => planTables(plan, CATALOG, LOCATION))).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].mask.customer_id must be "keep": customers.customer_id is the key orders.customer_id refers to and children are sampled by their parent\'s keys; got: "null"',
    ]);
  });

  it('fails on a fraction outside 0-1, an unknown strategy, an unknown setting and a fraction without a key', () => {
    expect(
      problems(() =>
        parseClonePlan(
          {
            tables: [
              { name: 'customers', sample: { fraction: 1.5, key: 'customer_id' } },
              { name: 'orders', mask: { amount: 'scramble' } },
            ],
            personal: ['x'],
          },
          LOCATION,
        ),
      ),
    ).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].sample.fraction must be a number from 0 to 1 (exclusive of 0), such as 0.1, got: 1.5',
      'kitchens.config.yaml: environments.dev.clone.tables[1].mask.amount must be one of keep, hash, redact, null, got: "scramble"',
      'kitchens.config.yaml: environments.dev.clone.personal is not a known setting; allowed here: from, schema, schedule, tables, textPatterns, nonPersonal, objects, concurrency, secrets',
    ]);
    const noKey = parseClonePlan(
      { tables: [{ name: 'orders', sample: { fraction: 0.5 }, mask: ORDERS_MASK }] },
      LOCATION,
    );
    expect(problems(() => planTables(noKey, CATALOG, LOCATION))).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].sample.key is required with fraction or limit (the hash of the key chooses the same rows on every run), got: nothing',
    ]);
  });

  it('fails on a strategy that does not fit the column type, a duplicate table and a cycle', () => {
    const plan = parseClonePlan(
      {
        tables: [
          {
            name: 'customers',
            mask: { ...CUSTOMERS_MASK, birth_date: 'redact', vip: 'hash' },
            references: [{ column: 'customer_id', table: 'orders', key: 'order_id' }],
          },
          { name: 'orders', mask: ORDERS_MASK },
          { name: 'orders', mask: ORDERS_MASK },
        ],
      },
      LOCATION,
    );
    expect(problems(() => planTables(plan, CATALOG, LOCATION))).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[2].name must be unique in the plan, got a second "orders"',
      'kitchens.config.yaml: environments.dev.clone.tables[0].mask.birth_date must be hash, null or keep for non-text column customers.birth_date (date): redact writes text, got: "redact"',
      'kitchens.config.yaml: environments.dev.clone.tables[0].mask.vip must be null or keep for boolean column customers.vip, got: "hash"',
      'kitchens.config.yaml: environments.dev.clone.tables must not refer to each other in a cycle, got: customers -> orders -> customers',
    ]);
  });
});
