/**
 * `kitchen clone plan --init`: a starter clone plan written from the source catalog, every column with a
 * suggested strategy and the reason, foreign keys written out as `references` (the production job follows only
 * declared references). It is a proposal: a reviewer confirms each line before it is deployed with production.
 */
import type { Catalog } from './catalog';
import { suggestStrategy } from './masking';
import { DEFAULT_SCHEDULE } from './plan';

export interface StarterOptions {
  /** The environment that publishes (usually production). */
  readonly from: string;
  /** Only these tables. @default - every table of the schema */
  readonly tables?: readonly string[];
}

/** The plan as YAML (the `clone:` block of an environment), with a comment on every suggested strategy. */
export function starterPlan(catalog: Catalog, options: StarterOptions): string {
  const wanted = options.tables ?? [...catalog.tables.keys()].sort();
  for (const name of wanted) {
    if (!catalog.tables.has(name)) {
      throw new Error(
        `--tables must name tables of schema ${catalog.schema}, got: ${JSON.stringify(name)}; tables are: ${[...catalog.tables.keys()].sort().join(', ')}`,
      );
    }
  }
  const lines = [
    '# Starter clone plan written by `kitchen clone plan --init`: every strategy below is a suggestion.',
    '# Review each column (keep copies the value to development as it is), then paste under environments.<dev>.clone.',
    'clone:',
    `  from: ${options.from}`,
    `  schema: ${catalog.schema}`,
    `  schedule: ${DEFAULT_SCHEDULE}`,
    '  tables:',
  ];
  for (const name of wanted) {
    const table = catalog.tables.get(name)!;
    lines.push(`    - name: ${name}`);
    // Every foreign key to a table of the plan, self-references included (a sampled row brings its ancestors).
    const references = table.foreignKeys.filter((fk) => wanted.includes(fk.table));
    if (references.length > 0) {
      lines.push('      references:');
      for (const fk of references) {
        lines.push(
          fk.columns.length === 1
            ? `        - { column: ${fk.columns[0]}, table: ${fk.table}, key: ${fk.keys[0]} }`
            : `        - { columns: [${fk.columns.join(', ')}], table: ${fk.table}, keys: [${fk.keys.join(', ')}] }`,
        );
      }
    }
    const keys = new Set([
      ...references.flatMap((r) => r.columns),
      ...[...catalog.tables.values()].flatMap((t) =>
        t.foreignKeys.filter((fk) => fk.table === name && wanted.includes(t.name)).flatMap((fk) => fk.keys),
      ),
    ]);
    lines.push('      mask:');
    const width = Math.max(...table.columns.map((c) => c.name.length));
    for (const column of table.columns) {
      const suggestion = keys.has(column.name)
        ? { strategy: 'keep', why: 'key followed by a foreign key: must stay keep' }
        : suggestStrategy(column);
      const strategy = suggestion.strategy === 'null' ? '"null"' : suggestion.strategy;
      lines.push(
        `        ${`${column.name}:`.padEnd(width + 1)} ${strategy.padEnd(6)} # ${column.type}; ${suggestion.why}`,
      );
    }
  }
  lines.push(
    '  nonPersonal: []   # { bucket, prefix, reason } for each prefix a reviewer declares free of personal data',
  );
  lines.push('  objects: []');
  return `${lines.join('\n')}\n`;
}
