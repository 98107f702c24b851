/**
 * The clone plan declared under `environments.<name>.clone` in kitchens.config.yaml: which tables and data lake
 * prefixes a Kitchen of that environment is seeded with, how each table is sampled and how each column is masked.
 * Shape checks live here (zod); checks against the source catalog live in validate.ts.
 */
import { z } from 'zod';

export const MASK_STRATEGIES = ['hash', 'redact', 'null', 'keep'] as const;
export type MaskStrategy = (typeof MASK_STRATEGIES)[number];

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,126}$/;
const identifier = (what: string) =>
  z
    .string({ error: `must be a ${what}: lowercase letters, digits and "_", starting with a letter or "_"` })
    .regex(IDENTIFIER, {
      error: `must be a ${what}: lowercase letters, digits and "_", starting with a letter or "_"`,
    });

const fraction = z
  .number({ error: 'must be a number from 0 to 1 (exclusive of 0), such as 0.1' })
  .gt(0, { error: 'must be a number from 0 to 1 (exclusive of 0), such as 0.1' })
  .lte(1, { error: 'must be a number from 0 to 1 (exclusive of 0), such as 0.1' });

const positiveInteger = z
  .number({ error: 'must be a positive integer' })
  .int({ error: 'must be a positive integer' })
  .positive({ error: 'must be a positive integer' });

export const sampleSchema = z.strictObject({
  /** Keep this share of rows, chosen by a deterministic hash of `key` (the same rows on every run). */
  fraction: fraction.optional(),
  /** Column whose hash chooses the rows (for `fraction`) and orders them (for `limit`). */
  key: identifier('column name').optional(),
  /** A SQL boolean expression over the source table's columns, such as "created_at >= '2024-01-01'". */
  where: z
    .string({ error: 'must be a SQL boolean expression' })
    .min(1, { error: 'must be a SQL boolean expression' })
    .refine((w) => !w.includes(';') && !w.includes('--') && !w.includes('/*'), {
      error: 'must be one SQL boolean expression without ";" or comments',
    })
    .optional(),
  /** At most this many rows (the first by hash of `key`, so the same rows on every run). */
  limit: positiveInteger.optional(),
});

export const referenceSchema = z.strictObject({
  /** The column of this table that refers to the parent. */
  column: identifier('column name'),
  /** The parent table in the plan. */
  table: identifier('table name'),
  /** The parent's key column. */
  key: identifier('column name'),
});

export const cloneTableSchema = z.strictObject({
  name: identifier('table name'),
  /** How rows are chosen. @default - every row (children still keep only rows whose parent was kept) */
  sample: sampleSchema.optional(),
  /**
   * Parents this table follows, in addition to the foreign keys declared in the source catalog: only rows whose
   * parent row was sampled are kept, so every foreign key of the Kitchen resolves.
   */
  references: z.array(referenceSchema, { error: 'must be a list of { column, table, key }' }).optional(),
  /** Masking per column. @default - `hash` for columns named like personal data, `keep` for the rest */
  mask: z
    .record(
      identifier('column name'),
      z.enum(MASK_STRATEGIES, { error: `must be one of ${MASK_STRATEGIES.join(', ')}` }),
      {
        error: 'must be a map of column name to masking strategy',
      },
    )
    .optional(),
});

export const cloneObjectsSchema = z.strictObject({
  /** Bucket role in the parent and the Kitchen's environment (see Names.bucketName), such as "lake". */
  bucket: z
    .string({ error: 'must be a bucket role: lowercase letters, digits and hyphens' })
    .regex(/^[a-z][a-z0-9-]{0,20}$/, { error: 'must be a bucket role: lowercase letters, digits and hyphens' }),
  /** Key prefix to copy, relative to the parent's data prefix; the Kitchen gets it under its own prefix. */
  prefix: z.string({ error: 'must be a key prefix such as "landing/orders/"' }).refine((p) => !p.startsWith('/'), {
    error: 'must be a key prefix that does not start with "/"',
  }),
  /** Share of objects to copy, by a deterministic hash of the key. @default 1 */
  fraction: fraction.optional(),
  /** At most this many objects. @default - no limit */
  limit: positiveInteger.optional(),
});

export const clonePlanSchema = z.strictObject({
  /** Parent environment the Kitchens of this environment are seeded from. @default - the production environment */
  from: z.string({ error: 'must be an environment name' }).optional(),
  /** Source schema in the parent's warehouse. @default - the parent environment's warehouse.schema */
  schema: identifier('schema name').optional(),
  /** Columns (by name, in every table) that are personal data besides the built-in name patterns. */
  personal: z.array(identifier('column name'), { error: 'must be a list of column names' }).optional(),
  tables: z.array(cloneTableSchema, { error: 'must be a list of tables' }).default([]),
  objects: z
    .array(cloneObjectsSchema, { error: 'must be a list of { bucket, prefix, fraction?, limit? }' })
    .default([]),
  /** Bounded concurrency of the object copy. @default 16 */
  concurrency: z
    .number({ error: 'must be an integer from 1 to 256' })
    .int({ error: 'must be an integer from 1 to 256' })
    .min(1, { error: 'must be an integer from 1 to 256' })
    .max(256, { error: 'must be an integer from 1 to 256' })
    .optional(),
  /** Secrets the Kitchen gets, newly generated (never copied from the parent). @default - [warehouse] */
  secrets: z
    .array(
      z
        .string()
        .regex(/^[a-z][a-z0-9-]{0,40}$/, { error: 'must be a secret role of lowercase letters, digits and hyphens' }),
      {
        error: 'must be a list of secret roles',
      },
    )
    .optional(),
});

export type ClonePlan = z.infer<typeof clonePlanSchema>;
export type CloneTable = z.infer<typeof cloneTableSchema>;
export type CloneObjects = z.infer<typeof cloneObjectsSchema>;
export type CloneSample = z.infer<typeof sampleSchema>;
export type CloneReference = z.infer<typeof referenceSchema>;
