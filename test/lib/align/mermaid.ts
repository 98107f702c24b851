import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';

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

export interface RenderedMermaid {
  /** The page's DOM after Mermaid ran: the `<svg>` it drew. */
  readonly svg: string;
  /** The page title: `rendered`, or `failed: <error>` when Mermaid refused the diagram. */
  readonly title: string;
  readonly png: Buffer;
}

/** Whether a `chromium` command runs on this machine (Debian's package; .ci/run installs it). */
export function chromiumAvailable(): boolean {
  const run = spawnSync('chromium', ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return !run.error && run.status === 0;
}

/**
 * Renders one diagram with Mermaid's browser bundle in headless Chromium (the Debian `chromium` package, installed
 * by .ci/run): once for the DOM Mermaid produced, once for a screenshot.
 */
export function renderMermaidInChromium(diagram: string, dir: string): RenderedMermaid {
  const bundle = require.resolve('mermaid/dist/mermaid.min.js');
  const page = path.join(dir, 'diagram.html');
  const escaped = diagram.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  fs.writeFileSync(
    page,
    [
      '<!doctype html><html><head><title>pending</title></head><body>',
      `<pre class="mermaid">${escaped}</pre>`,
      `<script src="${pathToFileURL(bundle).href}"></script>`,
      '<script>mermaid.initialize({ startOnLoad: false });',
      "mermaid.run().then(() => { document.title = 'rendered'; }, (e) => { document.title = 'failed: ' + e; });</script>",
      '</body></html>',
    ].join('\n'),
  );
  const chromium = (extra: string[]) => {
    const run = spawnSync(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--allow-file-access-from-files',
        '--virtual-time-budget=20000',
        ...extra,
        pathToFileURL(page).href,
      ],
      { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    if (run.error || run.status !== 0) throw new Error(`chromium failed: ${run.error ?? run.stderr}`);
    return run.stdout;
  };
  const dom = chromium(['--dump-dom']);
  const png = path.join(dir, 'diagram.png');
  chromium([`--screenshot=${png}`, '--window-size=1000,1200']);
  return {
    svg: /<svg[\s\S]*<\/svg>/.exec(dom)?.[0] ?? '',
    title: /<title>([^<]*)<\/title>/.exec(dom)?.[1] ?? '',
    png: fs.readFileSync(png),
  };
}
