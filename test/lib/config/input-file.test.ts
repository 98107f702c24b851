/**
 * Bad input files never crash, hang or leak: the config and pipeline loaders refuse directories, devices, FIFOs,
 * huge files, binary files, alias bombs and paths outside the config's directory with one ConfigError naming the
 * file, and no refusal quotes the file's content. Generated cases (fast-check) cover arbitrary bytes and text.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../../lib/config';
import { MAX_INPUT_FILE_BYTES, parseJsonText, readBoundedText } from '../../../lib/config/input-file';
import { loadPipelineFile } from '../../../lib/pipeline/loader';
import { EXAMPLE_CONFIG } from '../../support/app';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-input-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a raw YAML document, edited freely by each case
function example(): any {
  return parse(fs.readFileSync(EXAMPLE_CONFIG, 'utf8'));
}

/** A config file in `sub` of the temporary directory, with its `pipelines:` replaced. */
function configWithPipelines(sub: string, pipelines: string[]): string {
  return write(path.join(sub, 'kitchens.config.yaml'), stringify({ ...example(), pipelines }));
}

/** How messages name a file: relative to the working directory unless that climbs out of it. */
function shownOf(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

const fifo = path.join(dir, 'pipe.fifo');
execFileSync('mkfifo', [fifo]);

describe('loadConfig on files that are not config files', () => {
  it.each([
    ['a directory', () => dir, 'is a directory, not a regular file'],
    ['/dev/zero (endless)', () => '/dev/zero', 'is a character device, not a regular file'],
    ['/dev/null', () => '/dev/null', 'is a character device, not a regular file'],
    ['a FIFO no one writes to', () => fifo, 'is a named pipe (FIFO), not a regular file'],
  ])('fails on %s naming the file and what it is, without opening it', (_what, file, reason) => {
    expect(problemsOf(() => loadConfig(file()))).toStrictEqual([
      `${file()}: the config file ${reason}; give the path of a kitchens.config.yaml file`,
    ]);
  });

  it('fails on a file larger than 1 MiB without reading it', () => {
    const file = path.join(dir, 'huge.yaml');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 64 * 1024 * 1024);
    expect(problemsOf(() => loadConfig(file))).toStrictEqual([
      `${file}: the config file is larger than 1.0 MiB (64.0 MiB); give the path of a kitchens.config.yaml file`,
    ]);
  });

  it('fails on a binary file and on text that is not UTF-8', () => {
    const binary = write('binary.yaml', new Uint8Array([0x70, 0x00, 0x01]));
    expect(problemsOf(() => loadConfig(binary))).toStrictEqual([
      `${binary}: the config file is not a text file (it holds NUL bytes); give the path of a kitchens.config.yaml file`,
    ]);
    const latin1 = write('latin1.yaml', new Uint8Array([0x70, 0x3a, 0x20, 0xe9, 0x0a]));
    expect(problemsOf(() => loadConfig(latin1))).toStrictEqual([
      `${latin1}: the config file is not UTF-8 text; give the path of a kitchens.config.yaml file`,
    ]);
  });

  it('refuses a YAML alias bomb ("billion laughs") naming the file', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const file = write('bomb.yaml', `${lines.join('\n')}\n`);
    expect(problemsOf(() => loadConfig(file))).toStrictEqual([
      `${file}: invalid YAML: its aliases (*name) expand more than 100 times, which is refused as a resource exhaustion attack; write the values out instead`,
    ]);
  });

  it('refuses an alias to no anchor naming the file', () => {
    const file = write('alias.yaml', 'project: *name\n');
    expect(problemsOf(() => loadConfig(file))).toStrictEqual([
      `${file}: invalid YAML: an alias (*name) refers to no anchor (&name) before it`,
    ]);
  });

  it('should still read a small regular file whatever size stat reports (bounded by bytes read)', () => {
    expect(readBoundedText('/proc/self/stat', 4096)).toMatch(/^\d+ /);
  });
});

describe('pipelines: paths of a config', () => {
  const pipeline = 'id: orders\nsteps:\n  - id: load\n    type: sql\n    sql: SELECT 1\n';
  write('confined/pipelines/orders.yaml', pipeline);
  write('outside.yaml', pipeline);
  fs.symlinkSync(path.join(dir, 'outside.yaml'), path.join(dir, 'confined/pipelines/link.yaml'));
  fs.symlinkSync('/etc/passwd', path.join(dir, 'confined/pipelines/passwd.yaml'));
  fs.mkdirSync(path.join(dir, 'confined/pipelines/folder.yaml'));

  it('should accept a pipeline file inside the config directory', () => {
    const config = loadConfig(configWithPipelines('confined', ['pipelines/orders.yaml']));
    expect(config.pipelines).toStrictEqual([path.join(dir, 'confined/pipelines/orders.yaml')]);
  });

  it.each([
    ['a path that climbs out', '../../etc/passwd'],
    ['a path that climbs out and back in', '../outside.yaml'],
    ['an absolute path', '/etc/passwd'],
    ['a symbolic link to a file outside', 'pipelines/link.yaml'],
    ['a symbolic link to /etc/passwd', 'pipelines/passwd.yaml'],
  ])('fails on %s, naming it, without reading it', (_what, given) => {
    const file = configWithPipelines('confined', ['pipelines/orders.yaml', given]);
    const shown = shownOf(file);
    expect(problemsOf(() => loadConfig(file))).toStrictEqual([
      `${shown}: pipelines[1] must be a path inside the config file's directory (relative, without leaving it), got: ${JSON.stringify(given)}`,
    ]);
  });

  it.each([
    ['a directory', 'pipelines/folder.yaml', 'is a directory'],
    ['a missing file', 'pipelines/nope.yaml', 'does not exist'],
  ])('fails on %s', (_what, given, reason) => {
    const file = configWithPipelines('confined', [given]);
    const shown = shownOf(file);
    expect(problemsOf(() => loadConfig(file))).toStrictEqual([
      `${shown}: pipelines[0] must name a pipeline file, got: ${JSON.stringify(given)}, which ${reason}`,
    ]);
  });

  it('fails on a FIFO or a device in pipelines: without opening it', () => {
    fs.symlinkSync('/dev/zero', path.join(dir, 'confined/zero.yaml'));
    execFileSync('mkfifo', [path.join(dir, 'confined/pipe.yaml')]);
    const file = configWithPipelines('confined', ['zero.yaml', 'pipe.yaml']);
    const shown = shownOf(file);
    expect(problemsOf(() => loadConfig(file))).toStrictEqual([
      `${shown}: pipelines[0] must be a path inside the config file's directory (relative, without leaving it), got: "zero.yaml"`,
      `${shown}: pipelines[1] must name a pipeline file, got: "pipe.yaml", which is not a regular file`,
    ]);
  });
});

describe('pipeline files that are not pipelines', () => {
  it('fails on /dev/zero and on a FIFO given as a pipeline file', () => {
    expect(problemsOf(() => loadPipelineFile('/dev/zero', { apps: [] }))).toStrictEqual([
      '/dev/zero: the pipeline file is a character device, not a regular file; give the path of a .yaml, .yml or .json pipeline file',
    ]);
    expect(problemsOf(() => loadPipelineFile(fifo, { apps: [] }))).toStrictEqual([
      `${fifo}: the pipeline file is a named pipe (FIFO), not a regular file; give the path of a .yaml, .yml or .json pipeline file`,
    ]);
  });

  it(`fails on a file larger than ${MAX_INPUT_FILE_BYTES} bytes`, () => {
    const file = write('big.yaml', `id: x\n#${'x'.repeat(MAX_INPUT_FILE_BYTES)}\n`);
    expect(problemsOf(() => loadPipelineFile(file, { apps: [] }))[0]).toMatch(
      /big\.yaml: the pipeline file is larger than 1\.0 MiB \(1\.0 MiB\)/,
    );
  });

  /** Lines shaped like /etc/passwd or a credentials file: text no refusal may repeat. */
  const secretLines = fc.array(
    fc
      .tuple(
        fc.stringMatching(/^[a-z]{4,10}$/),
        fc.stringMatching(/^[A-Za-z0-9+/]{12,40}$/),
        fc.stringMatching(/^\/[a-z]{3,8}\/[a-z]{3,8}$/),
      )
      .map(([user, secret, home]) => `${user}:${secret}:1000:1000::${home}:/bin/sh`),
    { minLength: 1, maxLength: 5 },
  );

  it('should never quote the content of a file that is not a pipeline (YAML or JSON)', () => {
    fc.assert(
      fc.property(secretLines, fc.constantFrom('.yaml', '.json'), (lines, ext) => {
        const file = write(`secret${ext}`, `${lines.join('\n')}\n`);
        const message = problemsOf(() => loadPipelineFile(file, { apps: [] })).join('\n');
        expect(message).toContain('secret');
        for (const line of lines) {
          for (const field of line.split(':').filter((f) => f.length >= 4 && f !== '/bin/sh')) {
            expect(message).not.toContain(field);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('arbitrary bytes and text as a config file', () => {
  it('should always end in one ConfigError naming the file, never another error', () => {
    const file = path.join(dir, 'fuzz/kitchens.config.yaml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 300 }),
          // YAML-flavoured text: keys, anchors, aliases, tags, flow collections
          fc
            .array(
              fc.constantFrom(
                'project: ',
                'a',
                '&x ',
                '*x ',
                '!!binary ',
                '[',
                ']',
                '{',
                '}',
                ': ',
                '\n',
                '- ',
                '"',
                "'",
                '  ',
                '#',
                '!!set ',
                '? ',
              ),
              { maxLength: 60 },
            )
            .map((parts) => parts.join('')),
        ),
        (content) => {
          fs.writeFileSync(file, content);
          const problems = problemsOf(() => loadConfig(file));
          expect(problems.length).toBeGreaterThan(0);
          for (const problem of problems) expect(problem.startsWith(`${file}: `)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('environment variable names of apps', () => {
  const configFile = (environment: Record<string, string>) => {
    const raw = example();
    raw.apps[0].environment = environment;
    raw.pipelines = [];
    return write('env/kitchens.config.yaml', stringify(raw));
  };

  it('fails on "A B;" naming the app, the name and what is allowed', () => {
    const file = configFile({ 'A B;': 'x' });
    expect(problemsOf(() => loadConfig(file))).toStrictEqual([
      `${shownOf(file)}: apps[0].environment.A B; must be an environment variable name (letters, digits and "_", not starting with a digit), got: "A B;"`,
    ]);
  });

  it('fails on "__proto__", a POSIX name a config map cannot hold, instead of dropping it', () => {
    const file = configFile(JSON.parse('{"__proto__": "v"}') as Record<string, string>);
    expect(problemsOf(() => loadConfig(file))).toStrictEqual([
      `${shownOf(file)}: apps[0].environment.__proto__ must not be "__proto__" (a name the config cannot hold), got: "v"`,
    ]);
  });

  it('should accept exactly the POSIX names (generated)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), (name) => {
        const valid = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && name !== '__proto__';
        const file = configFile({ [name]: 'v' });
        if (valid) {
          expect(loadConfig(file).apps[0].environment).toStrictEqual({ [name]: 'v' });
        } else if (name === '__proto__') {
          expect(problemsOf(() => loadConfig(file)).join('\n')).toContain('must not be "__proto__"');
        } else {
          expect(problemsOf(() => loadConfig(file)).join('\n')).toContain('must be an environment variable name');
        }
      }),
      { numRuns: 80 },
    );
  });
});

describe('parseJsonText', () => {
  it('should locate a JSON error by line and column without quoting the text', () => {
    expect(problemsOf(() => parseJsonText('{\n  "a": 1,\n}', 'p.json'))).toStrictEqual([
      'p.json: invalid JSON (line 3, column 1)',
    ]);
    expect(problemsOf(() => parseJsonText('root:x:0:0:root:/root:/bin/bash', 'p.json'))).toStrictEqual([
      'p.json: invalid JSON (it is not a JSON document)',
    ]);
    expect(problemsOf(() => parseJsonText('{"a": [1,', 'p.json'))).toStrictEqual([
      'p.json: invalid JSON (it ends early)',
    ]);
  });
});
