import { ConfigError } from '../../../lib/config/errors';
import { resolveMasking, looksPersonal } from '../../../lib/clone/masking';
import { describeSample, parseClonePlan, planTables } from '../../../lib/clone/planner';
import { CATALOG } from './catalog-fixture';

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

describe('clone plan', () => {
  describe('a valid plan', () => {
    const plan = parseClonePlan(
      {
        tables: [
          { name: 'order_items' },
          { name: 'orders', sample: { limit: 500, key: 'order_id' } },
          {
            name: 'customers',
            sample: { fraction: 0.1, key: 'customer_id' },
            mask: { full_name: 'redact', country: 'hash' },
          },
        ],
      },
      LOCATION,
    );
    const tables = planTables(plan, CATALOG, LOCATION);

    it('should order parents before children, following catalog foreign keys', () => {
      expect(tables.map((t) => t.name)).toStrictEqual(['customers', 'orders', 'order_items']);
      expect(tables[1].references).toStrictEqual([
        { column: 'customer_id', table: 'customers', key: 'customer_id', origin: 'catalog' },
      ]);
    });

    it('should mask personal data by default and honour declared strategies', () => {
      expect(tables[0].masking.map((m) => `${m.column}:${m.strategy}:${m.reason}`)).toStrictEqual([
        'customer_id:keep:default',
        'email:hash:personal-data default',
        'full_name:redact:plan',
        'country:hash:plan',
        'birth_date:null:personal-data default',
        'vip:keep:default',
      ]);
      expect(tables[1].masking.find((m) => m.column === 'customer_email')!.strategy).toBe('hash');
    });

    it('should estimate rows from statistics, fraction, limit and the parents share', () => {
      expect(tables.map((t) => t.estimatedRows)).toStrictEqual([200, 500, 1500]);
      expect(describeSample(tables[1])).toBe('at most 500 rows; customer_id in sampled customers.customer_id');
      expect(describeSample(tables[0])).toBe('10% by hash of customer_id');
    });
  });

  it('should recognise personal data by column name', () => {
    const personal = [
      'email',
      'billing_email',
      'phone',
      'mobile_number',
      'first_name',
      'last_name',
      'name',
      'street_address',
      'ssn',
      'birth_date',
      'date_of_birth',
      'ip_address',
      'client_ip',
      'zip',
    ];
    const other = ['order_id', 'amount', 'status', 'created_at', 'sku', 'title', 'shipping_method', 'description'];
    expect(personal.filter((c) => !looksPersonal(c))).toStrictEqual([]);
    expect(other.filter((c) => looksPersonal(c))).toStrictEqual([]);
    expect(looksPersonal('loyalty_code', ['loyalty_code'])).toBe(true);
    expect(resolveMasking([{ name: 'email', isText: true }], { email: 'keep' })).toStrictEqual([
      { column: 'email', strategy: 'keep', reason: 'plan' },
    ]);
  });

  it('fails on an unknown table or column, before anything runs', () => {
    const plan = parseClonePlan(
      {
        tables: [
          { name: 'ordrs' },
          { name: 'customers', mask: { emial: 'hash' }, sample: { fraction: 0.5, key: 'id' } },
          { name: 'orders', references: [{ column: 'cust', table: 'clients', key: 'id' }] },
        ],
      },
      LOCATION,
    );
    expect(problems(() => planTables(plan, CATALOG, LOCATION))).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].name must name a table of schema "analytics" in the source, got: "ordrs"; tables are: customers, order_items, orders',
      'kitchens.config.yaml: environments.dev.clone.tables[1].mask.emial must name a column of table customers, got: "emial"; columns are: customer_id, email, full_name, country, birth_date, vip',
      'kitchens.config.yaml: environments.dev.clone.tables[1].sample.key must name a column of table customers, got: "id"; columns are: customer_id, email, full_name, country, birth_date, vip',
      'kitchens.config.yaml: environments.dev.clone.tables[2].references[0].column must name a column of table orders, got: "cust"; columns are: order_id, customer_id, customer_email, amount',
      'kitchens.config.yaml: environments.dev.clone.tables[2].references[0].table must name another table of the plan, got: "clients"; tables in the plan are: ordrs, customers, orders',
    ]);
  });

  it('fails when a key used for sampling is masked', () => {
    const plan = parseClonePlan(
      {
        tables: [
          { name: 'customers', sample: { fraction: 0.5, key: 'email' } },
          { name: 'orders', mask: { customer_id: 'hash' }, sample: { fraction: 0.5, key: 'order_id' } },
          { name: 'order_items', mask: { order_id: 'keep' } },
        ],
      },
      LOCATION,
    );
    expect(problems(() => planTables(plan, CATALOG, LOCATION))).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].mask.email must be "keep": email is the sample key of table customers and a masked key cannot choose the same rows in every table; got: "hash" by the personal-data default',
      'kitchens.config.yaml: environments.dev.clone.tables[1].mask.customer_id must be "keep": customer_id refers to customers.customer_id and children are sampled by their parent\'s keys; got: "hash"',
    ]);
  });

  it('fails when a parent key that children follow is masked', () => {
    const plan = parseClonePlan(
      { tables: [{ name: 'customers', mask: { customer_id: 'null' } }, { name: 'orders' }] },
      LOCATION,
    );
    expect(problems(() => planTables(plan, CATALOG, LOCATION))).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].mask.customer_id must be "keep": customers.customer_id is the key orders.customer_id refers to and children are sampled by their parent\'s keys; got: "null"',
    ]);
  });

  it('fails on a fraction outside 0-1, an unknown strategy and a fraction without a key', () => {
    expect(
      problems(() =>
        parseClonePlan(
          {
            tables: [
              { name: 'customers', sample: { fraction: 1.5, key: 'customer_id' } },
              { name: 'orders', mask: { amount: 'scramble' } },
            ],
            extra: 1,
          },
          LOCATION,
        ),
      ),
    ).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].sample.fraction must be a number from 0 to 1 (exclusive of 0), such as 0.1, got: 1.5',
      'kitchens.config.yaml: environments.dev.clone.tables[1].mask.amount must be one of hash, redact, null, keep, got: "scramble"',
      'kitchens.config.yaml: environments.dev.clone.extra is not a known setting; allowed here: from, schema, personal, tables, objects, concurrency, secrets',
    ]);
    expect(
      problems(() => parseClonePlan({ tables: [{ name: 'orders', sample: { fraction: 0 } }] }, LOCATION)),
    ).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].sample.fraction must be a number from 0 to 1 (exclusive of 0), such as 0.1, got: 0',
    ]);
    const noKey = parseClonePlan({ tables: [{ name: 'orders', sample: { fraction: 0.5 } }] }, LOCATION);
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
            mask: { birth_date: 'redact', vip: 'hash' },
            references: [{ column: 'customer_id', table: 'orders', key: 'order_id' }],
          },
          { name: 'orders' },
          { name: 'orders' },
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

  it('fails on a where filter with a statement separator', () => {
    expect(
      problems(() =>
        parseClonePlan({ tables: [{ name: 'orders', sample: { where: '1=1; DROP TABLE orders' } }] }, LOCATION),
      ),
    ).toStrictEqual([
      'kitchens.config.yaml: environments.dev.clone.tables[0].sample.where must be one SQL boolean expression without ";" or comments, got: "1=1; DROP TABLE orders"',
    ]);
  });
});
