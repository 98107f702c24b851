import * as fs from 'fs';

interface Stoppable {
  stop(): void;
}

export default async function globalTeardown(): Promise<void> {
  const services = ((globalThis as Record<string, unknown>).__KITCHENS_SERVICES__ ?? []) as Stoppable[];
  for (const service of services) {
    service.stop();
  }
  const state = process.env.KITCHENS_TEST_SERVICES_STATE;
  if (state) {
    fs.rmSync(state, { force: true });
  }
  // Everything the run wrote to its temporary directory (global-setup.ts), cloud assemblies included.
  const runTmp = process.env.KITCHENS_TEST_RUN_TMPDIR;
  if (runTmp) {
    fs.rmSync(runTmp, { recursive: true, force: true });
  }
}
