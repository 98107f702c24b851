/** An in-memory source catalog for unit tests (the same shop schema as fixtures.ts). */
import type { Catalog, CatalogColumn, CatalogTable } from '../../../lib/clone/catalog';

const col = (name: string, type: string): CatalogColumn => ({
  name,
  type,
  isText: type.startsWith('varchar') || type.startsWith('char'),
});

const tables: CatalogTable[] = [
  {
    name: 'customers',
    columns: [
      col('customer_id', 'integer'),
      col('email', 'varchar(200)'),
      col('full_name', 'varchar(120)'),
      col('country', 'char(2)'),
      col('birth_date', 'date'),
      col('vip', 'boolean'),
    ],
    foreignKeys: [],
    estimatedRows: 2000,
  },
  {
    name: 'orders',
    columns: [
      col('order_id', 'integer'),
      col('customer_id', 'integer'),
      col('customer_email', 'varchar(200)'),
      col('amount', 'numeric(12,2)'),
    ],
    foreignKeys: [{ columns: ['customer_id'], table: 'customers', keys: ['customer_id'] }],
    estimatedRows: 10000,
  },
  {
    name: 'order_items',
    columns: [col('item_id', 'integer'), col('order_id', 'integer'), col('sku', 'varchar(20)')],
    foreignKeys: [{ columns: ['order_id'], table: 'orders', keys: ['order_id'] }],
    estimatedRows: 30000,
  },
];

export const CATALOG: Catalog = { schema: 'analytics', tables: new Map(tables.map((t) => [t.name, t])) };

/** Every column of CATALOG with a strategy (deny by default: plans must declare all of them). */
export const CATALOG_MASKS = {
  customers: {
    customer_id: 'keep',
    email: 'hash',
    full_name: 'redact',
    country: 'keep',
    birth_date: 'null',
    vip: 'keep',
  },
  orders: { order_id: 'keep', customer_id: 'keep', customer_email: 'hash', amount: 'keep' },
  order_items: { item_id: 'keep', order_id: 'keep', sku: 'keep' },
} as const;
