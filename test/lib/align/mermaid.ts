import { spawnSync } from 'child_process';
import * as path from 'path';

export interface MermaidResult {
  readonly ok: boolean;
  readonly type?: string;
  readonly error?: string;
}

/** Parses diagrams with the real Mermaid parser in a child Node process (Mermaid is ESM-only). */
export function parseMermaid(diagrams: readonly string[]): MermaidResult[] {
  const run = spawnSync(process.execPath, [path.join(__dirname, 'mermaid-parse.mjs')], {
    input: JSON.stringify(diagrams),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`mermaid parser failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as MermaidResult[];
}
