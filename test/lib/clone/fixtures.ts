/** Fixture data for the clone tests: a small shop schema with personal data and foreign keys. */
import { Client } from 'pg';

/** Creates a fresh database named `name` on the test server and returns its URL. */
export async function freshDatabase(name: string): Promise<string> {
  const admin = new Client({ connectionString: process.env.KITCHENS_TEST_PG_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(process.env.KITCHENS_TEST_PG_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** customers (2,000) <- orders (~10,000) <- order_items (~30,000); products referenced by order_items. */
export const SHOP_SCHEMA = `
CREATE SCHEMA analytics;
CREATE TABLE analytics.customers (
  customer_id integer PRIMARY KEY,
  email varchar(200),
  full_name varchar(120),
  phone varchar(40),
  country char(2),
  birth_date date,
  signup_ip varchar(45),
  created_at timestamp NOT NULL
);
CREATE TABLE analytics.products (sku varchar(20) PRIMARY KEY, title varchar(200) NOT NULL, price numeric(10,2) NOT NULL);
CREATE TABLE analytics.orders (
  order_id integer PRIMARY KEY,
  customer_id integer REFERENCES analytics.customers(customer_id),
  customer_email varchar(200),
  amount numeric(12,2) NOT NULL,
  status varchar(20) NOT NULL,
  order_date date NOT NULL
);
CREATE TABLE analytics.order_items (
  item_id integer PRIMARY KEY,
  order_id integer NOT NULL REFERENCES analytics.orders(order_id),
  sku varchar(20) NOT NULL REFERENCES analytics.products(sku),
  quantity integer NOT NULL
);
INSERT INTO analytics.customers
SELECT g, 'user' || g || '@example.com', 'Name ' || g, CASE WHEN g % 7 = 0 THEN NULL ELSE '+44 20 ' || (7000000 + g) END,
       (ARRAY['GB','FR','DE','NL'])[1 + g % 4], DATE '1960-01-01' + (g * 37) % 15000, '10.0.' || (g % 250) || '.' || (g % 200),
       TIMESTAMP '2023-01-01' + g * INTERVAL '1 hour'
FROM generate_series(1, 2000) g;
INSERT INTO analytics.products SELECT 'SKU-' || g, 'Product ' || g, (g % 50) + 0.99 FROM generate_series(1, 200) g;
INSERT INTO analytics.orders
SELECT g, CASE WHEN g % 97 = 0 THEN NULL ELSE 1 + (g * 7919) % 2000 END, 'user' || (1 + (g * 7919) % 2000) || '@example.com',
       (g % 500) + 0.5, (ARRAY['new','paid','shipped'])[1 + g % 3], DATE '2024-01-01' + g % 365
FROM generate_series(1, 10000) g;
INSERT INTO analytics.order_items SELECT g, 1 + (g * 31) % 10000, 'SKU-' || (1 + g % 200), 1 + g % 5 FROM generate_series(1, 30000) g;
ANALYZE;
`;

/** md5 of every row of every table in a schema, plus the schema's catalog: changes if anything changes. */
export async function schemaChecksum(client: Client, schema: string): Promise<string> {
  const tables = await client.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
    [schema],
  );
  const parts: string[] = [];
  const catalog = await client.query(
    `SELECT table_name, column_name, data_type, is_nullable, ordinal_position FROM information_schema.columns
     WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
    [schema],
  );
  parts.push(JSON.stringify(catalog.rows));
  const oids = await client.query(
    `SELECT c.relname, c.oid::text, c.relfilenode::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 ORDER BY c.relname`,
    [schema],
  );
  parts.push(JSON.stringify(oids.rows));
  for (const { table_name } of tables.rows) {
    const r = await client.query(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h, count(*) AS n FROM "${schema}"."${table_name}" t`,
    );
    parts.push(`${table_name}:${r.rows[0].n}:${r.rows[0].h}`);
  }
  return parts.join('\n');
}

/** A strategy for every column of the shop schema's customers (personal data masked, keys kept). */
export const SHOP_CUSTOMERS_MASK = {
  customer_id: 'keep',
  email: 'hash',
  full_name: 'redact',
  phone: 'hash',
  country: 'keep',
  birth_date: 'null',
  signup_ip: 'null',
  created_at: 'keep',
} as const;

export const SHOP_ORDERS_MASK = {
  order_id: 'keep',
  customer_id: 'keep',
  customer_email: 'hash',
  amount: 'keep',
  status: 'keep',
  order_date: 'keep',
} as const;
