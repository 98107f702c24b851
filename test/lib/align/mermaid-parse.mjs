// Parses Mermaid diagrams with Mermaid's own parser (jsdom provides the DOM its sanitizer needs; no browser).
// stdin: JSON array of diagram texts; stdout: JSON array of { ok, type?, error? }.
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid');

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const text of JSON.parse(input)) {
  try {
    const parsed = await mermaid.parse(text);
    results.push({ ok: true, type: parsed.diagramType });
  } catch (e) {
    results.push({
      ok: false,
      error: String(e?.message ?? e)
        .split('\n')
        .slice(0, 3)
        .join(' '),
    });
  }
}
process.stdout.write(JSON.stringify(results));
