/** Every Mermaid picture of the README and docs/*.md is a diagram Mermaid's own parser accepts. */
import * as fs from 'fs';
import * as path from 'path';
import { parseMermaid } from './mermaid';

const ROOT = path.join(__dirname, '..', '..', '..');
const FILES = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => path.join('docs', f))].filter((f) =>
  f.endsWith('.md'),
);

describe('the Mermaid pictures of the docs', () => {
  const blocks = FILES.flatMap((file) =>
    [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m, i) => ({
      where: `${file} #${i + 1}`,
      text: m[1],
    })),
  );

  it('should include the Kitchen tree flow in the README and docs/cli.md', () => {
    expect(blocks.map((b) => b.where)).toEqual(expect.arrayContaining(['README.md #1', 'docs/cli.md #1']));
    const flow = blocks.find((b) => b.where === 'docs/cli.md #1')!.text;
    for (const step of ['--ttl 14d', '--from integration', 'kitchen refresh feature', '--against integration'])
      expect(flow).toContain(step);
  });

  it('should parse every one with Mermaid', () => {
    const parsed = parseMermaid(blocks.map((b) => b.text));
    expect(blocks.map((b, i) => ({ where: b.where, ...parsed[i] }))).toStrictEqual(
      blocks.map((b) => ({ where: b.where, ok: true, type: 'flowchart-v2' })),
    );
  });
});
