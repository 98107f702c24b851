import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startMoto, startPostgres } from './services';

export const STATE_FILE = path.join(os.tmpdir(), `kitchens-test-services-${process.pid}.json`);

/**
 * Starts one private PostgreSQL and one moto server for the whole run; workers read their addresses from env.
 *
 * Every temporary file of the run (cloud assemblies of apps synthesized without an outdir, staged assets, the
 * services' data) goes below one private directory: TMPDIR, which os.tmpdir() reads, is set before the workers and
 * the processes the tests start inherit it; the teardown removes the directory.
 */
export default async function globalSetup(): Promise<void> {
  const runTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-test-run-'));
  // As root, the PostgreSQL cluster runs as the postgres OS user, who must be able to reach its directory below.
  if (process.getuid?.() === 0) fs.chmodSync(runTmp, 0o711);
  process.env.KITCHENS_TEST_RUN_TMPDIR = runTmp;
  process.env.TMPDIR = runTmp;
  const [pg, moto] = await Promise.all([startPostgres(), startMoto()]);
  process.env.KITCHENS_TEST_PG_URL = pg.url;
  process.env.KITCHENS_TEST_MOTO_ENDPOINT = moto.endpoint;
  process.env.KITCHENS_TEST_SERVICES_STATE = STATE_FILE;
  fs.writeFileSync(STATE_FILE, JSON.stringify({ pgDataDir: pg.dataDir, motoPid: moto.pid }));
  (globalThis as Record<string, unknown>).__KITCHENS_SERVICES__ = [pg, moto];
}
