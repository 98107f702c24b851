/** Human or `--json` output, and progress lines on stderr so stdout stays parseable. */
export interface OutputOptions {
  readonly json?: boolean;
}

export class Output {
  constructor(
    private readonly options: OutputOptions = {},
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  get json(): boolean {
    return this.options.json === true;
  }

  /** A result: printed as JSON with --json, otherwise rendered by `human`. */
  result(value: unknown, human: () => string): void {
    this.out.write(this.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
  }

  /** Progress for people: stderr, and silent with --json. */
  progress(message: string): void {
    if (!this.json) {
      this.err.write(`${message}\n`);
    }
  }

  warn(message: string): void {
    this.err.write(`warning: ${message}\n`);
  }
}

export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (c ?? '').padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
