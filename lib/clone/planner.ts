/**
 * Turns a clone plan and the source catalog into an ordered list of table clones: parents before children, each
 * child following the sampled keys of its parents so every foreign key of the Kitchen resolves. Every problem of
 * the plan is reported at once, before anything runs, in the config error format
 * (`file: path must be ..., got: value`).
 */
import { ConfigError } from '../config/errors';
import { zodProblems } from '../config/zod-problems';
import type { Catalog, CatalogColumn, CatalogTable } from './catalog';
import type { ColumnMasking } from './masking';
import { typeProblem } from './types';
import {
  ClonePlan,
  clonePlanSchema,
  MASK_STRATEGIES,
  CloneFilter,
  CloneSample,
  declaredNonPersonal,
  referencePairs,
} from './plan';

/** Where the plan was declared, for messages: `kitchens.config.yaml: environments.dev.clone`. */
export interface PlanLocation {
  readonly file: string;
  readonly at: string;
}

const MASK_CHOICES = MASK_STRATEGIES.join(', ');
/** The type of a column planned without the catalog (planDeclared): checked by the guard at publish instead. */
const DECLARED_TYPE = 'declared';

export const DEFAULT_LOCATION: PlanLocation = { file: 'kitchens.config.yaml', at: 'clone' };

/**
 * A foreign key the clone keeps resolvable: `columns` of the table refer to `keys` of `table`, paired by position.
 * `table` may be the table itself (a self-reference): then a sampled row brings its ancestors along.
 */
export interface ResolvedReference {
  readonly columns: readonly string[];
  readonly table: string;
  readonly keys: readonly string[];
  /** Declared in the plan, or found as a foreign key in the source catalog. */
  readonly origin: 'plan' | 'catalog';
}

export interface TablePlan {
  readonly name: string;
  readonly columns: readonly CatalogColumn[];
  readonly masking: readonly ColumnMasking[];
  readonly sample: CloneSample;
  readonly references: readonly ResolvedReference[];
  /** Kept columns a reviewer declared free of personal data (not scanned at publish), with the reason. */
  readonly reviewed: Readonly<Record<string, string>>;
  readonly estimatedSourceRows: number;
  /** Rows expected in the Kitchen: statistics times fraction, capped by limit and by the parents' share. */
  readonly estimatedRows: number;
}

/**
 * Validates the shape of a raw clone plan (as written in the config) and reports problems in the config format.
 * Files are refused unless they lie below a prefix the plan declares non-personal (the reviewed allow-list).
 */
export function parseClonePlan(raw: unknown, location: PlanLocation = DEFAULT_LOCATION): ClonePlan {
  const result = clonePlanSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(zodProblems(clonePlanSchema, raw, result.error, location));
  }
  const plan = result.data;
  const problems: string[] = [];
  plan.objects.forEach((o, i) => {
    if (declaredNonPersonal(o, plan.nonPersonal) === undefined) {
      const declared = plan.nonPersonal.map((a) => `${a.bucket}:${a.prefix}`);
      problems.push(
        `${location.file}: ${location.at}.objects[${i}] must lie below a prefix declared in ${location.at}.nonPersonal ` +
          '(files from production are published only where a reviewer declared them free of personal data), ' +
          `got: ${o.bucket}:${o.prefix}; declared non-personal: ${declared.length > 0 ? declared.join(', ') : '(none)'}`,
      );
    }
  });
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return plan;
}

/** Every column a filter names, in order of appearance. */
export function filterColumns(filter: CloneFilter): string[] {
  if ('and' in filter) return filter.and.flatMap(filterColumns);
  if ('or' in filter) return filter.or.flatMap(filterColumns);
  return [filter.column];
}

/** Resolves and checks a plan against the source catalog; throws ConfigError listing every problem. */
export function planTables(plan: ClonePlan, catalog: Catalog, location: PlanLocation = DEFAULT_LOCATION): TablePlan[] {
  const problems: string[] = [];
  const dialect = catalog.dialect ?? 'redshift';
  const at = (i: number, rest = '') => `${location.file}: ${location.at}.tables[${i}]${rest}`;
  const planned = new Map<string, number>();
  plan.tables.forEach((t, i) => {
    if (planned.has(t.name)) {
      problems.push(`${at(i, '.name')} must be unique in the plan, got a second ${JSON.stringify(t.name)}`);
    } else if (!catalog.tables.has(t.name)) {
      const known = [...catalog.tables.keys()].sort();
      problems.push(
        `${at(i, '.name')} must name a table of schema "${catalog.schema}" in the source, got: ${JSON.stringify(t.name)}; ` +
          `tables are: ${known.length > 0 ? known.join(', ') : '(none)'}`,
      );
    }
    planned.set(t.name, planned.get(t.name) ?? i);
  });

  const resolved: TablePlan[] = [];
  plan.tables.forEach((t, i) => {
    const table = catalog.tables.get(t.name);
    if (!table || planned.get(t.name) !== i) return;
    const columnNames = table.columns.map((c) => c.name);
    const columnsText = columnNames.join(', ');
    const hasColumn = (c: string) => columnNames.includes(c);
    const sample = t.sample ?? {};

    for (const column of Object.keys(t.mask ?? {})) {
      if (!hasColumn(column)) {
        problems.push(
          `${at(i, `.mask.${column}`)} must name a column of table ${t.name}, got: ${JSON.stringify(column)}; columns are: ${columnsText}`,
        );
      }
    }
    if (sample.key !== undefined && !hasColumn(sample.key)) {
      problems.push(
        `${at(i, '.sample.key')} must name a column of table ${t.name}, got: ${JSON.stringify(sample.key)}; columns are: ${columnsText}`,
      );
    }
    if (sample.key === undefined && (sample.fraction !== undefined || sample.limit !== undefined)) {
      problems.push(
        `${at(i, '.sample.key')} is required with fraction or limit (the hash of the key chooses the same rows on every run), got: nothing`,
      );
    }

    const references: ResolvedReference[] = [];
    (t.references ?? []).forEach((r, j) => {
      const parent = catalog.tables.get(r.table);
      const { columns, keys } = referencePairs(r);
      const single = 'column' in r;
      const where = (field: 'column' | 'key', k: number) =>
        at(i, `.references[${j}].${single ? field : `${field}s[${k}]`}`);
      columns.forEach((c, k) => {
        if (!hasColumn(c)) {
          problems.push(
            `${where('column', k)} must name a column of table ${t.name}, got: ${JSON.stringify(c)}; columns are: ${columnsText}`,
          );
        }
      });
      if (!planned.has(r.table) || !parent) {
        problems.push(
          `${at(i, `.references[${j}].table`)} must name a table of the plan (or ${t.name} itself), got: ${JSON.stringify(r.table)}; tables in the plan are: ${[...planned.keys()].join(', ')}`,
        );
      } else {
        keys.forEach((key, k) => {
          if (!parent.columns.some((c) => c.name === key)) {
            problems.push(
              `${where('key', k)} must name a column of table ${r.table}, got: ${JSON.stringify(key)}; columns are: ${parent.columns.map((c) => c.name).join(', ')}`,
            );
          }
        });
      }
      references.push({ columns, table: r.table, keys, origin: 'plan' });
    });
    const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, k) => x === b[k]);
    for (const fk of table.foreignKeys) {
      const alreadyDeclared = references.some((r) => r.table === fk.table && same(r.columns, fk.columns));
      if (planned.has(fk.table) && !alreadyDeclared) {
        references.push({ columns: [...fk.columns], table: fk.table, keys: [...fk.keys], origin: 'catalog' });
      }
    }

    // Deny by default: every column of the source needs a declared strategy.
    const declaredMask = t.mask ?? {};
    const undeclared = columnNames.filter((c) => declaredMask[c] === undefined);
    if (undeclared.length > 0) {
      problems.push(
        `${at(i, '.mask')} must declare a strategy (${MASK_CHOICES}) for every column; ` +
          `undeclared: ${undeclared.map((c) => `${t.name}.${c}`).join(', ')}`,
      );
    }
    const masking: ColumnMasking[] = table.columns
      .filter((c) => declaredMask[c.name] !== undefined)
      .map((c) => ({ column: c.name, strategy: declaredMask[c.name] }));
    if (sample.where !== undefined) {
      for (const column of new Set(filterColumns(sample.where))) {
        if (!hasColumn(column)) {
          problems.push(
            `${at(i, '.sample.where')} must name columns of table ${t.name}, got: ${JSON.stringify(column)}; columns are: ${columnsText}`,
          );
        } else if (declaredMask[column] !== undefined && declaredMask[column] !== 'keep') {
          problems.push(
            `${at(i, '.sample.where')} may only filter on columns kept as they are (a filter on a masked column reveals its values), got: ${t.name}.${column} (${declaredMask[column]})`,
          );
        }
      }
    }
    for (const m of masking) {
      const column = table.columns.find((c) => c.name === m.column)!;
      const typeIssue = column.type === DECLARED_TYPE ? undefined : typeProblem(column.type, m.strategy, dialect);
      if (typeIssue !== undefined) {
        problems.push(`${at(i, `.mask.${m.column}`)} (${t.name}.${m.column}) ${typeIssue}`);
      }
      if (m.strategy === 'redact' && !column.isText) {
        problems.push(
          `${at(i, `.mask.${m.column}`)} must be hash, null or keep for non-text column ${t.name}.${m.column} (${column.type}): redact writes text, got: "redact"`,
        );
      }
      if (m.strategy === 'hash' && column.type === 'boolean') {
        problems.push(
          `${at(i, `.mask.${m.column}`)} must be null or keep for boolean column ${t.name}.${m.column}, got: "hash"`,
        );
      }
      if (m.strategy === 'keep') continue;
      if (m.column === sample.key) {
        problems.push(
          `${at(i, `.mask.${m.column}`)} must be "keep": ${m.column} is the sample key of table ${t.name} and a masked key cannot choose the same rows in every table; got: ${JSON.stringify(m.strategy)}`,
        );
      }
      for (const r of references) {
        const k = r.columns.indexOf(m.column);
        if (k >= 0) {
          problems.push(
            `${at(i, `.mask.${m.column}`)} must be "keep": ${m.column} refers to ${r.table}.${r.keys[k]} and children are sampled by their parent's keys; got: ${JSON.stringify(m.strategy)}`,
          );
        }
      }
    }
    const reviewed = t.reviewed ?? {};
    for (const column of Object.keys(reviewed)) {
      if (declaredMask[column] !== 'keep') {
        problems.push(
          `${at(i, `.reviewed.${column}`)} must name a column of table ${t.name} kept as it is (only kept text is scanned), got: ${JSON.stringify(column)} (${declaredMask[column] ?? 'no strategy'})`,
        );
      }
    }
    resolved.push({
      name: t.name,
      columns: table.columns,
      masking,
      sample,
      references,
      reviewed,
      estimatedSourceRows: table.estimatedRows,
      estimatedRows: 0,
    });
  });

  // A parent's key column must be kept as it is too: children compare their raw foreign keys with it.
  for (const child of resolved) {
    for (const r of child.references) {
      const parent = resolved.find((p) => p.name === r.table);
      r.keys.forEach((key, k) => {
        const m = parent?.masking.find((x) => x.column === key);
        if (parent && m && m.strategy !== 'keep') {
          const i = plan.tables.findIndex((t) => t.name === parent.name);
          problems.push(
            `${at(i, `.mask.${key}`)} must be "keep": ${parent.name}.${key} is the key ${child.name}.${r.columns[k]} refers to and children are sampled by their parent's keys; got: ${JSON.stringify(m.strategy)}`,
          );
        }
      });
    }
  }

  const ordered = orderParentsFirst(resolved, (cycle) =>
    problems.push(
      `${location.file}: ${location.at}.tables must not refer to each other in a cycle, got: ${cycle.join(' -> ')}`,
    ),
  );
  if (problems.length > 0) {
    throw new ConfigError([...new Set(problems)]);
  }
  return estimate(ordered);
}

function orderParentsFirst(tables: readonly TablePlan[], onCycle: (cycle: string[]) => void): TablePlan[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const visiting: string[] = [];
  const ordered: TablePlan[] = [];
  let cycleReported = false;
  const visit = (t: TablePlan) => {
    if (done.has(t.name)) return;
    const seen = visiting.indexOf(t.name);
    if (seen >= 0) {
      if (!cycleReported) onCycle([...visiting.slice(seen), t.name]);
      cycleReported = true;
      return;
    }
    visiting.push(t.name);
    for (const r of t.references) {
      const parent = byName.get(r.table);
      // A self-reference orders nothing: the table's own ancestors come in with it (sql.ts, the closure).
      if (parent && parent.name !== t.name) visit(parent);
    }
    visiting.pop();
    if (!done.has(t.name)) {
      done.add(t.name);
      ordered.push(t);
    }
  };
  tables.forEach(visit);
  return ordered;
}

function estimate(ordered: readonly TablePlan[]): TablePlan[] {
  const share = new Map<string, number>();
  return ordered.map((t) => {
    // A `where` filter has unknown selectivity: the estimate assumes it keeps every row.
    let ratio = t.sample.fraction ?? 1;
    for (const r of t.references) if (r.table !== t.name) ratio *= share.get(r.table) ?? 1;
    let rows = Math.round(t.estimatedSourceRows * ratio);
    if (t.sample.limit !== undefined) rows = Math.min(rows, t.sample.limit);
    share.set(t.name, t.estimatedSourceRows > 0 ? rows / t.estimatedSourceRows : ratio);
    return { ...t, estimatedRows: rows };
  });
}

/** One line describing how a table is sampled, for the printed plan. */
export function describeSample(t: TablePlan): string {
  const parts: string[] = [];
  if (t.sample.fraction !== undefined) parts.push(`${t.sample.fraction * 100}% by hash of ${t.sample.key}`);
  if (t.sample.where !== undefined) parts.push(`where ${describeFilter(t.sample.where)}`);
  if (t.sample.limit !== undefined) parts.push(`at most ${t.sample.limit} rows`);
  for (const r of t.references) {
    const columns = r.columns.length === 1 ? r.columns[0] : `(${r.columns.join(', ')})`;
    const keys = r.keys.length === 1 ? r.keys[0] : `(${r.keys.join(', ')})`;
    parts.push(
      r.table === t.name
        ? `with the rows ${columns} refers to (ancestors by ${keys})`
        : `${columns} in sampled ${r.table}.${keys}`,
    );
  }
  return parts.length > 0 ? parts.join('; ') : 'all rows';
}

/** A filter as a person reads it (the SQL rendering with quoted identifiers is in sql.ts). */
export function describeFilter(filter: CloneFilter): string {
  if ('and' in filter) return `(${filter.and.map(describeFilter).join(' and ')})`;
  if ('or' in filter) return `(${filter.or.map(describeFilter).join(' or ')})`;
  if (filter.values !== undefined)
    return `${filter.column} ${filter.op} (${filter.values.map((v) => JSON.stringify(v)).join(', ')})`;
  return filter.value === undefined
    ? `${filter.column} ${filter.op}`
    : `${filter.column} ${filter.op} ${JSON.stringify(filter.value)}`;
}

/**
 * Plans from the declaration alone, without the source catalog (at synth time, for the production job): columns
 * in the order the plan declares them, parents only from `references` (`kitchen clone plan --init` writes the
 * catalog's foreign keys there). Type checks need the catalog and run in `kitchen clone --dry-run --pg-url` and in
 * the job's guard; a declared column production lacks fails the job's UNLOAD, never leaks.
 */
export function planDeclared(plan: ClonePlan, location: PlanLocation = DEFAULT_LOCATION): TablePlan[] {
  const tables = new Map<string, CatalogTable>();
  for (const t of plan.tables) {
    if (tables.has(t.name)) continue;
    tables.set(t.name, {
      name: t.name,
      columns: Object.keys(t.mask ?? {}).map((name) => ({ name, type: DECLARED_TYPE, isText: true })),
      foreignKeys: [],
      estimatedRows: 0,
    });
  }
  return planTables(plan, { schema: plan.schema ?? '(declared)', tables }, location);
}
