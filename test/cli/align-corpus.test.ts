import * as fs from 'fs';
import * as path from 'path';
import { kitchen } from './support/cli';
import { EXAMPLE_CONFIG } from '../support/app';
import { CORPUS, CORPUS_APPS, ExpectedDrift, tempDir, writeConfigVariant } from '../fixtures/align/corpus';

interface JsonDifference {
  section: string;
  logicalId: string;
  resourceType: string;
  path: string;
  state?: string;
  from?: unknown;
  to?: unknown;
  classification: string;
  reason: string;
}

const matches = (expected: string | RegExp, actual: string | undefined) =>
  actual !== undefined && (typeof expected === 'string' ? actual === expected : expected.test(actual));

const fits = (e: ExpectedDrift, d: JsonDifference) =>
  (e.section ?? 'Resources') === d.section &&
  matches(e.logicalId, d.logicalId) &&
  e.resourceType === d.resourceType &&
  matches(e.path, d.path) &&
  (e.state === undefined || matches(e.state, d.state)) &&
  (e.mentions === undefined || e.mentions.test(JSON.stringify([d.from, d.to])));

describe('the drift corpus (test/fixtures/align/corpus.ts), through kitchen align', () => {
  const dir = tempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(CORPUS.map((c) => [c.name, c] as const))('%s', async (_name, corpusCase) => {
    const config = corpusCase.config
      ? writeConfigVariant(EXAMPLE_CONFIG, dir, corpusCase.name, corpusCase.config)
      : EXAMPLE_CONFIG;
    const app = corpusCase.app ? ['--app', path.join(CORPUS_APPS, corpusCase.app)] : [];
    const json = await kitchen(['--json', 'align', ...app], config);
    expect({ code: json.code, stderr: json.code === corpusCase.exit ? '' : json.stderr }).toStrictEqual({
      code: corpusCase.exit,
      stderr: '',
    });
    const drift = (JSON.parse(json.stdout) as { differences: JsonDifference[] }).differences.filter(
      (d) => d.classification === 'drift',
    );
    // every expected difference is reported, and nothing else
    for (const expected of corpusCase.drift) expect(drift.filter((d) => fits(expected, d))).not.toHaveLength(0);
    expect(drift.filter((d) => !corpusCase.drift.some((e) => fits(e, d)))).toStrictEqual([]);
  });
});
