/**
 * The schema of a pipeline file (YAML or JSON). Every rule says what is allowed; the loader adds the file, the
 * path and the value received. Rules that span fields (step types, the DAG, apps, variables) live in validate.ts.
 */
import { z } from 'zod';
import { DATA_LAKE_BUCKETS, TEST_LEVELS } from './model';

const text = (what: string) => z.string({ error: `must be ${what}` }).min(1, { error: `must be ${what}` });
const positive = (what: string, max: number) =>
  z
    .number({ error: `must be ${what} from 1 to ${max}` })
    .int({ error: `must be ${what} from 1 to ${max}` })
    .min(1, { error: `must be ${what} from 1 to ${max}` })
    .max(max, { error: `must be ${what} from 1 to ${max}` });
const finite = z.number({ error: 'must be a number' }).finite({ error: 'must be a finite number' });

export const ruleSchema = z.strictObject(
  {
    equals: finite.optional(),
    not_equals: finite.optional(),
    min: finite.optional(),
    max: finite.optional(),
    between: z.tuple([finite, finite], { error: 'must be a list of two numbers [min, max]' }).optional(),
    in_control: z
      .union(
        [
          z.literal(true),
          z.strictObject({
            k: z
              .number({ error: 'must be a positive number' })
              .positive({ error: 'must be a positive number' })
              .optional(),
            last: positive('an integer', 1000).optional(),
            min_history: positive('an integer', 1000).optional(),
            tolerance: z
              .number({ error: 'must be a number of at least 0' })
              .min(0, { error: 'must be a number of at least 0' })
              .optional(),
            relative_tolerance: z
              .number({ error: 'must be a fraction from 0 to 1 (0.01 = 1%)' })
              .min(0, { error: 'must be a fraction from 0 to 1 (0.01 = 1%)' })
              .max(1, { error: 'must be a fraction from 0 to 1 (0.01 = 1%)' })
              .optional(),
          }),
        ],
        { error: 'must be true or a map with k, last, min_history, tolerance and relative_tolerance' },
      )
      .optional(),
  },
  { error: 'must be a rule: one of equals, not_equals, min, max, between, in_control' },
);
export const RULE_KINDS = Object.keys(ruleSchema.shape) as (keyof z.infer<typeof ruleSchema>)[];

export const testSchema = z.strictObject({
  name: z.string({ error: 'must be a readable test name' }).regex(/^[A-Za-z0-9][A-Za-z0-9 _.,()%-]{0,60}$/, {
    error:
      'must be a readable test name of 1-61 letters, digits, spaces and _ . , ( ) % -, starting with a letter or digit',
  }),
  query: text('a SQL query returning one value'),
  rule: ruleSchema,
  level: z.enum(TEST_LEVELS as [string, ...string[]], { error: `must be one of ${TEST_LEVELS.join(', ')}` }).optional(),
  timeoutSeconds: positive('an integer', 3600).optional(),
});

const locationSchema = z.strictObject({
  bucket: z.enum(DATA_LAKE_BUCKETS as [string, ...string[]], {
    error: `must be one of ${DATA_LAKE_BUCKETS.join(', ')}`,
  }),
  prefix: z.string({ error: 'must be a key prefix such as "orders/"' }).regex(/^([^/\s][^\s]*\/)?$/, {
    error:
      'must be a key prefix ending in "/" and not starting with "/", such as "orders/" (or "" for the whole bucket)',
  }),
});

export const STEP_TYPES = ['container', 'sql', 'copy'] as const;

/** All step fields; which ones a step may carry depends on its type (checked in validate.ts). */
export const stepSchema = z.strictObject({
  id: z.string({ error: 'must be a step id' }).regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, {
    error: 'must be a step id of lowercase letters, digits and single hyphens, starting with a letter',
  }),
  name: z
    .string({ error: 'must be a readable step name' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9 _.,()-]{0,60}$/, {
      error:
        'must be a readable step name of 1-61 letters, digits, spaces and _ . , ( ) -, starting with a letter or digit',
    })
    .optional(),
  type: z.enum(STEP_TYPES, { error: `must be one of ${STEP_TYPES.join(', ')}` }),
  after: z.array(z.string({ error: 'must be a step id' }), { error: 'must be a list of step ids' }).optional(),
  tests: z.array(testSchema, { error: 'must be a list of tests' }).optional(),
  timeoutMinutes: positive('a number of minutes', 24 * 60).optional(),
  // container
  app: text('the name of a container app').optional(),
  command: z.array(z.string({ error: 'must be a string' }), { error: 'must be a list of strings' }).optional(),
  environment: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' }),
      z.string({ error: 'must be a string (quote numbers and booleans)' }),
      { error: 'must be a map of environment variable names to strings' },
    )
    .optional(),
  // sql
  sql: z
    .union(
      [
        text('a SQL statement'),
        z
          .array(text('a SQL statement'), { error: 'must be a list of SQL statements' })
          .min(1, { error: 'must be a list of at least one SQL statement' }),
      ],
      {
        error: 'must be a SQL statement or a list of SQL statements',
      },
    )
    .optional(),
  pollSeconds: positive('a number of seconds', 300).optional(),
  // copy
  from: locationSchema.optional(),
  to: z
    .strictObject({
      bucket: z.enum(DATA_LAKE_BUCKETS as [string, ...string[]], {
        error: `must be one of ${DATA_LAKE_BUCKETS.join(', ')}`,
      }),
    })
    .optional(),
  maxObjects: positive('an integer', 1000).optional(),
});

/** The fields each step type may carry, besides the common ones. */
export const TYPE_FIELDS: Record<(typeof STEP_TYPES)[number], readonly string[]> = {
  container: ['app', 'command', 'environment'],
  sql: ['sql', 'pollSeconds'],
  copy: ['from', 'to', 'maxObjects'],
};
export const REQUIRED_TYPE_FIELDS: Record<(typeof STEP_TYPES)[number], readonly string[]> = {
  container: ['app'],
  sql: ['sql'],
  copy: ['from', 'to'],
};

export const pipelineSchema = z.strictObject({
  id: z.string({ error: 'must be a pipeline id' }),
  description: z.string({ error: 'must be a string' }).optional(),
  schedule: z
    .string({ error: 'must be an EventBridge schedule expression' })
    .regex(/^(cron\(\S+ \S+ \S+ \S+ \S+ \S+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/, {
      error: 'must be an EventBridge schedule expression such as "cron(0 5 * * ? *)" or "rate(1 hour)"',
    })
    .optional(),
  steps: z
    .array(stepSchema, { error: 'must be a list of steps' })
    .min(1, { error: 'must be a list of at least one step' }),
});

export type RawPipeline = z.infer<typeof pipelineSchema>;
export type RawStep = z.infer<typeof stepSchema>;
export type RawTest = z.infer<typeof testSchema>;
