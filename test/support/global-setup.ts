import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startMoto, startPostgres } from './services';

export const STATE_FILE = path.join(os.tmpdir(), `kitchens-test-services-${process.pid}.json`);

/** Starts one private PostgreSQL and one moto server for the whole run; workers read their addresses from env. */
export default async function globalSetup(): Promise<void> {
  const [pg, moto] = await Promise.all([startPostgres(), startMoto()]);
  process.env.KITCHENS_TEST_PG_URL = pg.url;
  process.env.KITCHENS_TEST_MOTO_ENDPOINT = moto.endpoint;
  process.env.KITCHENS_TEST_SERVICES_STATE = STATE_FILE;
  fs.writeFileSync(STATE_FILE, JSON.stringify({ pgDataDir: pg.dataDir, motoPid: moto.pid }));
  (globalThis as Record<string, unknown>).__KITCHENS_SERVICES__ = [pg, moto];
}
