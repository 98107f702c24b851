/**
 * A Kitchen of the bundled orders pipeline for `kitchen run --local` tests: its own data lake directory, its own
 * schema on the shared test PostgreSQL (dropped first, so every file starts clean), the landed order files of
 * test/fixtures/orders, and the run command with the fixture apps standing in for the containers.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { type CliRun, kitchen } from './cli';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'orders');
const LANDED = path.join(FIXTURES, 'landing', 'orders');

export interface LocalOrdersKitchen {
  readonly name: string;
  readonly pgUrl: string;
  /** The local data lake (one directory per bucket). */
  readonly lake: string;
  /** The Kitchen's `orders` prefix in a bucket of the lake (`landing`, `raw`...). */
  prefix(bucket: string): string;
  /** Copies the fixture's landed order files into the Kitchen's landing prefix, named `<copy>-<file>` when given. */
  land(copy?: string): void;
  /** `kitchen run orders --local` in this Kitchen, with `extra` arguments after. */
  run(...extra: string[]): Promise<CliRun>;
  /** Removes the data lake directory. */
  remove(): void;
}

/** Makes the Kitchen `name` (schema `k_<name>`), dropping what an earlier test run left of its schema. */
export async function localOrdersKitchen(name: string): Promise<LocalOrdersKitchen> {
  const pgUrl = process.env.KITCHENS_TEST_PG_URL!;
  const lake = fs.mkdtempSync(path.join(os.tmpdir(), `kitchens-${name}-`));
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS k_${name.replace(/-/g, '_')} CASCADE`);
  await client.end();
  const prefix = (bucket: string) => path.join(lake, `acme-dev-${bucket}-222222222222`, 'kitchens', name, 'orders');
  return {
    name,
    pgUrl,
    lake,
    prefix,
    land(copy?: string) {
      fs.mkdirSync(prefix('landing'), { recursive: true });
      for (const file of fs.readdirSync(LANDED)) {
        fs.copyFileSync(path.join(LANDED, file), path.join(prefix('landing'), copy ? `${copy}-${file}` : file));
      }
    },
    run: (...extra: string[]) =>
      kitchen([
        'run',
        'orders',
        '--local',
        '--pg-url',
        pgUrl,
        '--kitchen',
        name,
        '--data-lake',
        lake,
        '--app-command',
        `ingest=node ${path.join(FIXTURES, 'ingest.js')}`,
        '--app-command',
        `transform=node ${path.join(FIXTURES, 'transform.js')}`,
        ...extra,
      ]),
    remove: () => fs.rmSync(lake, { recursive: true, force: true }),
  };
}
