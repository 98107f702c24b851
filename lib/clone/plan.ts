/**
 * The clone plan declared under `environments.<name>.clone` in kitchens.config.yaml: which production tables and
 * data lake prefixes are published (sampled and masked, inside production) for the Kitchens of that environment.
 * Deny by default: every column of every table needs a declared strategy (checked against the catalog in
 * planner.ts); filters are structured (no SQL text); files are published only below prefixes a reviewer declared
 * non-personal. Shape checks live here (zod).
 */
import { z } from 'zod';

export const MASK_STRATEGIES = ['keep', 'hash', 'redact', 'null'] as const;
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

export const COMPARISONS = ['=', '<>', '<', '<=', '>', '>='] as const;
export const LIST_OPERATORS = ['in', 'not in'] as const;
export const NULL_OPERATORS = ['is null', 'is not null'] as const;
export const FILTER_OPERATORS = [...COMPARISONS, ...LIST_OPERATORS, ...NULL_OPERATORS] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** A literal of a filter: rendered as a quoted SQL literal or a plain number, never as SQL text. */
const filterValue = z.union(
  [
    z
      .string()
      .max(1000)
      .refine((s) => !s.includes('\\'), { error: 'must not contain a backslash' }),
    z.number().refine((n) => Number.isFinite(n)),
    z.boolean(),
  ],
  { error: 'must be a string (without backslashes), a finite number or true/false' },
);
export type FilterValue = z.infer<typeof filterValue>;

export type CloneFilter =
  | {
      readonly column: string;
      readonly op: FilterOperator;
      readonly value?: FilterValue;
      readonly values?: FilterValue[];
    }
  | { readonly and: CloneFilter[] }
  | { readonly or: CloneFilter[] };

const FILTER_SHAPE =
  'must be a structured filter: { column, op, value } (op one of ' +
  `${FILTER_OPERATORS.join(', ')}; "in"/"not in" take values: [...]) or { and: [...] } / { or: [...] }; SQL text is not accepted`;

const filterObject = z.strictObject(
  {
    column: identifier('column name').optional(),
    op: z.enum(FILTER_OPERATORS, { error: `must be one of ${FILTER_OPERATORS.join(', ')}` }).optional(),
    value: filterValue.optional(),
    values: z.array(filterValue, { error: 'must be a list of literals' }).min(1).max(1000).optional(),
    get and() {
      return z.array(filterSchema, { error: 'must be a list of filters' }).min(1).optional();
    },
    get or() {
      return z.array(filterSchema, { error: 'must be a list of filters' }).min(1).optional();
    },
  },
  { error: FILTER_SHAPE },
);

export const filterSchema = filterObject.superRefine((f, ctx) => {
  const groups = (f.and !== undefined ? 1 : 0) + (f.or !== undefined ? 1 : 0);
  const isCondition = f.column !== undefined || f.op !== undefined;
  if (groups + (isCondition ? 1 : 0) !== 1 || (groups === 1 && (f.value ?? f.values) !== undefined)) {
    ctx.addIssue({ code: 'custom', message: FILTER_SHAPE });
    return;
  }
  if (!isCondition) return;
  if (f.column === undefined || f.op === undefined) {
    ctx.addIssue({ code: 'custom', message: `${FILTER_SHAPE} (a condition needs both column and op)` });
    return;
  }
  const list = (LIST_OPERATORS as readonly string[]).includes(f.op);
  const none = (NULL_OPERATORS as readonly string[]).includes(f.op);
  if (list && (f.values === undefined || f.value !== undefined)) {
    ctx.addIssue({ code: 'custom', message: `must give values: [...] (and no value) with op "${f.op}"` });
  } else if (none && (f.values !== undefined || f.value !== undefined)) {
    ctx.addIssue({ code: 'custom', message: `must give neither value nor values with op "${f.op}"` });
  } else if (!list && !none && (f.value === undefined || f.values !== undefined)) {
    ctx.addIssue({ code: 'custom', message: `must give one value (and no values) with op "${f.op}"` });
  }
});

export const sampleSchema = z.strictObject({
  /** Keep this share of rows, chosen by a deterministic hash of `key` (the same rows on every run). */
  fraction: fraction.optional(),
  /** Column whose hash chooses the rows (for `fraction`) and orders them (for `limit`). */
  key: identifier('column name').optional(),
  /** A structured filter over columns kept as they are, such as { column: order_date, op: ">=", value: "2024-01-01" }. */
  where: (filterSchema as z.ZodType<CloneFilter>).optional(),
  /** At most this many rows (the first by hash of `key`, so the same rows on every run). */
  limit: positiveInteger.optional(),
});

const singleReference = z.strictObject({
  /** The column of this table that refers to the parent. */
  column: identifier('column name'),
  /** The parent table in the plan (this table itself for a self-reference such as refill_of -> rx_id). */
  table: identifier('table name'),
  /** The parent's key column. */
  key: identifier('column name'),
});

const compositeReference = z
  .strictObject({
    /** The columns of this table that refer to the parent, in the order of the parent's key columns. */
    columns: z.array(identifier('column name')).min(1).max(32),
    table: identifier('table name'),
    /** The parent's key columns, paired by position with `columns`. */
    keys: z.array(identifier('column name')).min(1).max(32),
  })
  .refine((r) => r.columns.length === r.keys.length, {
    error: 'must pair as many columns as keys: { columns: [a, b], table, keys: [x, y] }',
  });

const REFERENCE_SHAPE =
  'must be { column, table, key } or, for a composite key, { columns: [...], table, keys: [...] } paired by position';

export const referenceSchema = z.union([singleReference, compositeReference], { error: REFERENCE_SHAPE });

/** A reference of the plan as column lists (a single-column one is a list of one). */
export function referencePairs(r: CloneReference): { readonly columns: string[]; readonly keys: string[] } {
  return 'column' in r ? { columns: [r.column], keys: [r.key] } : { columns: [...r.columns], keys: [...r.keys] };
}

export const cloneTableSchema = z.strictObject({
  name: identifier('table name'),
  /** How rows are chosen. @default - every row (children still keep only rows whose parent was kept) */
  sample: sampleSchema.optional(),
  /**
   * Parents this table follows, in addition to the foreign keys declared in the source catalog: only rows whose
   * parent row was sampled are kept, so every foreign key of the Kitchen resolves.
   */
  references: z
    .array(referenceSchema, { error: 'must be a list of { column, table, key } or { columns, table, keys }' })
    .optional(),
  /**
   * Columns kept as they are that a reviewer checked hold no personal data, each with the reason: they are not
   * scanned at publish (every other kept text column is, and a hit fails the job). @default - none
   */
  reviewed: z
    .record(
      identifier('column name'),
      z
        .string({ error: 'must say why the kept text holds no personal data (at least 10 characters)' })
        .min(10, { error: 'must say why the kept text holds no personal data (at least 10 characters)' }),
      { error: 'must be a map of column name to the reason a reviewer accepted' },
    )
    .optional(),
  /**
   * The strategy of every column (deny by default: a column of the source without one refuses the plan and fails
   * the production job). `kitchen clone plan --init` writes suggestions for a reviewer to confirm.
   */
  mask: z
    .record(
      identifier('column name'),
      z.enum(MASK_STRATEGIES, { error: `must be one of ${MASK_STRATEGIES.join(', ')}` }),
      {
        error: 'must be a map of column name to masking strategy',
      },
    )
    .default({}),
});

const bucketRole = z
  .string({ error: 'must be a bucket role: lowercase letters, digits and hyphens' })
  .regex(/^[a-z][a-z0-9-]{0,20}$/, { error: 'must be a bucket role: lowercase letters, digits and hyphens' });
const keyPrefix = z
  .string({ error: 'must be a key prefix ending in "/" such as "reference/"' })
  .regex(/^(?!\/)[A-Za-z0-9!_.*'()/-]{0,900}\/$/, {
    error:
      'must be a key prefix ending in "/" such as "reference/" (no leading "/"; letters, digits, / ! _ . * \' ( ) -)',
  });

export const cloneObjectsSchema = z.strictObject({
  /** Bucket role in the parent and the Kitchen's environment (see Names.bucketName), such as "curated". */
  bucket: bucketRole,
  /** Key prefix to copy, relative to the parent's data prefix; must lie below a prefix declared non-personal. */
  prefix: keyPrefix,
  /** Share of objects a Kitchen copies from the snapshot, by a deterministic hash of the key. @default 1 */
  fraction: fraction.optional(),
  /** At most this many objects. @default - no limit */
  limit: positiveInteger.optional(),
});

export const nonPersonalSchema = z.strictObject({
  bucket: bucketRole,
  prefix: keyPrefix,
  /** Why a reviewer accepted that files below this prefix hold no personal data (shown in dry runs and reports). */
  reason: z
    .string({ error: 'must say why the files hold no personal data (at least 10 characters)' })
    .min(10, { error: 'must say why the files hold no personal data (at least 10 characters)' }),
});

export const clonePlanSchema = z.strictObject({
  /** Environment that publishes the snapshot (its account runs the clone job). @default - the production environment */
  from: z.string({ error: 'must be an environment name' }).optional(),
  /** Source schema in the parent's warehouse. @default - the parent environment's warehouse.schema */
  schema: identifier('schema name').optional(),
  /** When the production job publishes a snapshot (EventBridge expression). @default 'cron(0 3 * * ? *)' (daily) */
  schedule: z
    .string({ error: 'must be an EventBridge schedule such as "cron(0 3 * * ? *)" or "rate(1 day)"' })
    .regex(/^(cron\([0-9A-Za-z*?,/#L\- ]+\)|rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\))$/, {
      error: 'must be an EventBridge schedule such as "cron(0 3 * * ? *)" or "rate(1 day)"',
    })
    .optional(),
  tables: z.array(cloneTableSchema, { error: 'must be a list of tables' }).default([]),
  /**
   * Personal-data patterns the scan of kept text adds to email, phone and card numbers: `{ name, regex }`, a POSIX
   * regular expression without backslashes (both engines' `~`). @default - none
   */
  textPatterns: z
    .array(
      z.strictObject({
        name: identifier('pattern name'),
        regex: z
          .string({
            error: 'must be a POSIX regular expression without backslashes, such as "[0-9]{3} [0-9]{3} [0-9]{4}"',
          })
          .min(1)
          .max(1000)
          .refine((r) => !r.includes('\\') && !r.includes('$$'), {
            error: 'must not contain a backslash (write [.] for a literal dot) or "$$"',
          })
          .refine(
            (r) => {
              try {
                new RegExp(r);
                return true;
              } catch {
                return false;
              }
            },
            { error: 'must be a regular expression that compiles, such as "[0-9]{3} [0-9]{3} [0-9]{4}"' },
          ),
      }),
      { error: 'must be a list of { name, regex }' },
    )
    .default([]),
  /** Prefixes a reviewer declared free of personal data: the only files production publishes. @default - none */
  nonPersonal: z.array(nonPersonalSchema, { error: 'must be a list of { bucket, prefix, reason }' }).default([]),
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
export type NonPersonalPrefix = z.infer<typeof nonPersonalSchema>;

/** The daily publication when the plan names no schedule. */
export const DEFAULT_SCHEDULE = 'cron(0 3 * * ? *)';

/**
 * The object prefixes a plan declares non-personal (the reviewed allow-list), as declared; for the dry run and the
 * promotion report. Pure: reads the raw plan as written in the config, no catalog or AWS call.
 */
export function nonPersonalPrefixes(rawPlan: unknown): readonly NonPersonalPrefix[] {
  const parsed = clonePlanSchema.safeParse(rawPlan ?? {});
  return parsed.success ? parsed.data.nonPersonal : [];
}

/** Whether an objects entry lies below a declared non-personal prefix of the same bucket. */
export function declaredNonPersonal(
  entry: Pick<CloneObjects, 'bucket' | 'prefix'>,
  allowList: readonly NonPersonalPrefix[],
): NonPersonalPrefix | undefined {
  return allowList.find((a) => a.bucket === entry.bucket && entry.prefix.startsWith(a.prefix));
}
