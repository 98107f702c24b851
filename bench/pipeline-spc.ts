/**
 * False-alarm rate of the `in_control` test by Monte Carlo, with the very statement a pipeline sends (lib/pipeline/sql.ts
 * `testStatement`), on a private PostgreSQL. Run: npx ts-node --swc bench/pipeline-spc.ts [SERIES]
 *
 * Each series is an in-control process: independent normal values (mean 1000, standard deviation 100, so the 1 %
 * relative tolerance never sets the band), judged run after run with the default rule (k 3, last 20, min_history 5).
 * The first min_history runs learn; every later run is judged. A judged run that fails is a false alarm. Nominal rate
 * for 3 sigma: 0.27 %; the target is at most twice that.
 */
import { Client } from 'pg';
import { startPostgres } from '../test/support/services';
import { DEFAULTS } from '../lib/pipeline/validate';
import { fillMarkers, historySetupStatements, testStatement } from '../lib/pipeline/sql';
import type { TestDefinition } from '../lib/pipeline/model';

const SERIES = Number(process.argv[2] ?? 1000);
const RUNS = 24;
const TABLE = 'spc.kitchens_test_history';

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(): Promise<void> {
  const pg = await startPostgres();
  const client = new Client({ connectionString: pg.url });
  await client.connect();
  try {
    for (const statement of historySetupStatements(TABLE)) await client.query(statement);
    const next = random(22);
    const normal = () => {
      let u = 0;
      while (u === 0) u = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    };
    const test = (value: number): TestDefinition => ({
      name: 'volume',
      query: `SELECT CAST(${value} AS DOUBLE PRECISION)`,
      rule: {
        kind: 'in_control',
        k: DEFAULTS.inControlK,
        last: DEFAULTS.inControlLast,
        minHistory: DEFAULTS.inControlMinHistory,
        tolerance: DEFAULTS.inControlTolerance,
        relativeTolerance: DEFAULTS.inControlRelativeTolerance,
      },
      level: 'warning',
      timeoutSeconds: 300,
    });
    let judged = 0;
    let alarms = 0;
    const started = Date.now();
    for (let s = 0; s < SERIES; s++) {
      const step = `series-${s}`;
      for (let r = 0; r < RUNS; r++) {
        const value = Math.round((1000 + 100 * normal()) * 1000) / 1000;
        const at = new Date(Date.UTC(2026, 0, 1) + r * 3600_000).toISOString().replace('T', ' ').replace('Z', '');
        const sql = fillMarkers(
          testStatement(test(value), { historyTable: TABLE, pipeline: 'spc', step }),
          `${s}-${r}`,
          at,
        );
        await client.query(sql);
      }
      const rows = await client.query(`SELECT status, expectation FROM ${TABLE} WHERE step = $1 ORDER BY recorded_at`, [
        step,
      ]);
      for (const row of rows.rows) {
        if (String(row.expectation).startsWith('in control (learning')) continue;
        judged++;
        if (row.status !== 'passed') alarms++;
      }
    }
    const rate = (100 * alarms) / judged;
    console.log(
      `${SERIES} series of ${RUNS} runs (k ${DEFAULTS.inControlK}, last ${DEFAULTS.inControlLast}, min_history ${DEFAULTS.inControlMinHistory}), ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    console.log(
      `false alarms: ${alarms} of ${judged} judged runs = ${rate.toFixed(2)} % (nominal 0.27 %, target <= 0.54 %)`,
    );
  } finally {
    await client.end();
    pg.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
