import * as fs from 'fs';
import type { Command } from 'commander';
import { ConfigError } from '../../config/errors';
import { loadConfig } from '../../config/loader';
import { CliError, EXIT_USAGE } from '../errors';
import { Output, table } from '../output';
import type {
  ObjectCloneResult,
  ResolvedKitchenClone,
  SeedResult,
  SnapshotLocation,
  SnapshotPointer,
  TablePlan,
} from '../../clone';

interface CloneOptions {
  readonly dryRun?: boolean;
  readonly pgUrl?: string;
  readonly snapshotDir?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly dbUser: string;
  readonly refresh?: boolean;
  readonly tables: boolean;
  readonly objects: boolean;
  readonly secrets: boolean;
  readonly init?: boolean;
  readonly out?: string;
  readonly only?: string;
  readonly saltEnv?: string;
  readonly from?: string;
}

/**
 * `kitchen clone NAME [--dry-run]`: seeds a Kitchen from the newest snapshot production published (development
 * credentials only). `kitchen clone plan --init`: writes a starter plan from the source catalog.
 */
export function register(program: Command): void {
  program
    .command('clone')
    .description(
      'seed a Kitchen from the masked snapshot production publishes (prints the plan, then runs it); ' +
        '`clone plan --init` writes a starter plan from the catalog',
    )
    .argument('<name>', 'the Kitchen to seed, or "plan" (with --init)')
    .option('--dry-run', 'print the plan and stop')
    .option(
      '--pg-url <url>',
      'PostgreSQL instead of the Redshift Data API (local use): the Kitchen, or with plan --init the source',
    )
    .option('--snapshot-dir <dir>', 'with --pg-url: the server directory a local publication was written to')
    .option('--profile <name>', 'AWS profile (development account) for S3, Secrets Manager and the Redshift Data API')
    .option('--region <region>', "AWS region (default: the environment's region)")
    .option('--db-user <user>', 'development warehouse user the Redshift Data API connects as', 'kitchens_seeder')
    .option('--refresh', 'rebuild tables already seeded from the newest snapshot')
    .option('--no-tables', 'skip the warehouse tables')
    .option('--no-objects', 'skip the data lake objects')
    .option('--no-secrets', "skip the Kitchen's credentials")
    .option('--init', 'with "plan": write a starter plan from the source catalog')
    .option('--out <file>', 'with plan --init: write the plan to this new file instead of stdout')
    .option('--only <tables>', 'with plan --init: comma-separated tables (default: every table of the schema)')
    .option('--salt-env <variable>', 'removed: the masking key exists only inside production')
    .option('--from <parent>', 'removed: Kitchens seed from the snapshot their environment receives')
    .action(async (name: string, opts: CloneOptions) => {
      const output = new Output(program.opts());
      const configFile = program.opts().config as string;
      if (opts.saltEnv !== undefined) {
        throw new CliError(
          '--salt-env is no longer accepted: the masking key exists only inside production and never leaves it; masking happens in the production clone job',
          EXIT_USAGE,
        );
      }
      if (opts.from !== undefined) {
        throw new CliError(
          '--from is no longer accepted: a Kitchen seeds from the masked snapshot its environment receives from production',
          EXIT_USAGE,
        );
      }
      if (name === 'plan') {
        await writeStarterPlan(output, configFile, opts);
        return;
      }
      if (opts.init === true || opts.out !== undefined || opts.only !== undefined) {
        throw new CliError(
          '--init, --out and --only go with `kitchen clone plan`, got them with a Kitchen name',
          EXIT_USAGE,
        );
      }
      await runClone(output, configFile, name, opts);
    });
}

function sizeOf(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

async function writeStarterPlan(output: Output, configFile: string, opts: CloneOptions): Promise<void> {
  if (opts.init !== true) {
    throw new CliError('`kitchen clone plan` needs --init (write a starter plan from the source catalog)', EXIT_USAGE);
  }
  const clone = await import('../../clone');
  const { productionEnvironment } = await import('../../config/model');
  const config = loadConfig(configFile);
  const source = productionEnvironment(config);
  if (opts.out !== undefined && fs.existsSync(opts.out)) {
    throw new CliError(
      `--out must name a new file (a plan under review is never overwritten), got: ${opts.out}`,
      EXIT_USAGE,
    );
  }
  let executor;
  if (opts.pgUrl !== undefined) {
    executor = new clone.PostgresExecutor(opts.pgUrl);
  } else {
    const { RedshiftDataClient } = await import('@aws-sdk/client-redshift-data');
    const { Names } = await import('../../naming');
    const names = new Names({ project: config.project, environment: source.name, account: source.account });
    executor = new clone.RedshiftDataExecutor(
      new RedshiftDataClient({ region: opts.region ?? source.region, profile: opts.profile }),
      { clusterIdentifier: names.clusterIdentifier(), database: source.warehouse.database, dbUser: opts.dbUser },
    );
  }
  try {
    const catalog = await clone.readCatalog(executor, source.warehouse.schema);
    const only = opts.only
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const text = clone.starterPlan(catalog, { from: source.name, tables: only });
    if (opts.out !== undefined) {
      fs.writeFileSync(opts.out, text, { flag: 'wx' });
      output.result(
        { written: opts.out, tables: catalog.tables.size },
        () =>
          `starter plan for ${catalog.tables.size} tables written to ${opts.out}: review every strategy before deploying it`,
      );
    } else {
      process.stdout.write(text);
    }
  } catch (e) {
    throw new CliError((e as Error).message, EXIT_USAGE);
  } finally {
    await executor.close();
  }
}

interface PlannedObjects {
  readonly role: string;
  readonly source: string;
  readonly target: string;
  readonly declaredNonPersonal: string;
  readonly reason: string;
}

async function runClone(output: Output, configFile: string, name: string, opts: CloneOptions): Promise<void> {
  // Heavy modules load here, not at CLI start-up.
  const clone = await import('../../clone');
  const config = loadConfig(configFile);
  let resolved: ResolvedKitchenClone;
  let tables: TablePlan[];
  try {
    resolved = clone.resolveKitchenClone(config, name);
    tables = clone.planDeclared(resolved.plan, resolved.location);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new CliError((e as Error).message, EXIT_USAGE);
  }
  if (opts.snapshotDir !== undefined && opts.pgUrl === undefined) {
    throw new CliError('--snapshot-dir goes with --pg-url (a local publication on PostgreSQL)', EXIT_USAGE);
  }
  const location: SnapshotLocation =
    opts.pgUrl !== undefined
      ? { kind: 'directory', path: opts.snapshotDir ?? '' }
      : { kind: 's3', uri: resolved.transfer.snapshotUri, roleChain: resolved.transfer.copyRoleChain };
  if (location.kind === 'directory' && location.path === '') {
    throw new CliError('--pg-url needs --snapshot-dir (the server directory of a local publication)', EXIT_USAGE);
  }
  const objectPlans: PlannedObjects[] = (opts.objects ? resolved.objects : []).map((o) => ({
    role: o.role,
    source: `s3://${o.sourceBucket}/${o.sourcePrefix('RUN')}`,
    target: `s3://${o.targetBucket}/${o.targetPrefix}`,
    declaredNonPersonal: `${o.declaredBy.bucket}:${o.declaredBy.prefix}`,
    reason: o.declaredBy.reason,
  }));
  const secretNames = opts.secrets ? resolved.secretRoles.map((r) => resolved.names.secretName(r)) : [];
  const shownTables = opts.tables ? tables : [];
  const plan = planJson(resolved, location, shownTables, objectPlans, secretNames, clone.describeSample);
  if (!output.json) {
    output.result(plan, () =>
      renderPlan(resolved, location, shownTables, objectPlans, secretNames, clone.describeSample),
    );
  }
  if (opts.dryRun) {
    if (output.json) output.result({ plan, dryRun: true }, () => '');
    else output.progress('dry run: nothing was read or written');
    return;
  }

  const endpoint = process.env.AWS_ENDPOINT_URL;
  const region = opts.region ?? resolved.host.region;
  const { S3Client } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ region, profile: opts.profile, forcePathStyle: endpoint !== undefined });
  const pointer = await readPointer(resolved, location, s3);
  const started = Date.now();
  const progress = await progressBars(output);
  let tableResults: SeedResult[] = [];
  if (opts.tables && pointer.tables.length > 0) {
    const executor = await kitchenWarehouse(resolved, opts);
    const bar = progress?.create(pointer.tables.length, 0, { what: 'tables ' });
    try {
      tableResults = await clone.seedKitchen({
        executor,
        targetSchema: resolved.targetSchema,
        location,
        pointer,
        refresh: opts.refresh,
        onProgress: (e) => (e.phase === 'done' ? bar?.increment(1) : undefined),
      });
    } catch (e) {
      throw new CliError(
        `seeding ${resolved.targetSchema} from snapshot ${pointer.run} failed: ${(e as Error).message}`,
      );
    } finally {
      await executor.close();
    }
  }
  const objectResults: ObjectCloneResult[] = [];
  for (const o of opts.objects ? resolved.objects : []) {
    objectResults.push(
      await clone.cloneObjects({
        s3,
        sourceBucket: o.sourceBucket,
        sourcePrefix: o.sourcePrefix(pointer.run),
        targetBucket: o.targetBucket,
        targetPrefix: o.targetPrefix,
        fraction: o.fraction,
        limit: o.limit,
        concurrency: resolved.concurrency,
      }),
    );
  }
  let secretResults: Awaited<ReturnType<typeof clone.provisionKitchenSecrets>> = [];
  if (secretNames.length > 0) {
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    secretResults = await clone.provisionKitchenSecrets({
      client: new SecretsManagerClient({ region, profile: opts.profile }),
      names: resolved.names,
      roles: resolved.secretRoles,
    });
  }
  progress?.stop();
  const summary = {
    kitchen: resolved.kitchen,
    snapshot: { run: pointer.run, publishedAt: pointer.publishedAt },
    seconds: (Date.now() - started) / 1000,
    tables: tableResults,
    objects: objectResults,
    secrets: secretResults.map(({ role, name: secretName, action }) => ({ role, name: secretName, action })),
  };
  output.result(output.json ? { plan, result: summary } : summary, () => renderSummary(summary));
}

/** The newest complete publication: latest.json in the export bucket (development account) or the local directory. */
async function readPointer(
  resolved: ResolvedKitchenClone,
  location: SnapshotLocation,
  s3: import('@aws-sdk/client-s3').S3Client,
): Promise<SnapshotPointer> {
  const clone = await import('../../clone');
  try {
    if (location.kind === 'directory') return clone.readDirectoryPointer(location);
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const where = `s3://${resolved.transfer.exportBucket}/${resolved.transfer.pointerKey}`;
    let text: string;
    try {
      const got = await s3.send(
        new GetObjectCommand({ Bucket: resolved.transfer.exportBucket, Key: resolved.transfer.pointerKey }),
      );
      text = await got.Body!.transformToString();
    } catch (e) {
      if ((e as { name?: string }).name === 'NoSuchKey') {
        throw new Error(
          `no snapshot has been published to ${where} yet; a production operator runs the clone job (${resolved.transfer.sourceNames.stateMachineName('clone-publish')})`,
        );
      }
      throw e;
    }
    return clone.parsePointer(text, where);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

async function kitchenWarehouse(resolved: ResolvedKitchenClone, opts: CloneOptions) {
  const clone = await import('../../clone');
  if (opts.pgUrl !== undefined) return new clone.PostgresExecutor(opts.pgUrl);
  const { RedshiftDataClient } = await import('@aws-sdk/client-redshift-data');
  const { Names } = await import('../../naming');
  const host = resolved.host;
  const names = new Names({ ...resolved.names.context, kitchen: undefined });
  return new clone.RedshiftDataExecutor(
    new RedshiftDataClient({ region: opts.region ?? host.region, profile: opts.profile }),
    { clusterIdentifier: names.clusterIdentifier(), database: host.warehouse.database, dbUser: opts.dbUser },
  );
}

type Describe = (t: TablePlan) => string;

function planJson(
  resolved: ResolvedKitchenClone,
  location: SnapshotLocation,
  tables: readonly TablePlan[],
  objects: readonly PlannedObjects[],
  secrets: readonly string[],
  describe: Describe,
) {
  return {
    kitchen: resolved.kitchen,
    environment: resolved.host.name,
    publishedBy: resolved.source.name,
    snapshot: location.kind === 's3' ? location.uri : location.path,
    sourceSchema: resolved.sourceSchema,
    targetSchema: resolved.targetSchema,
    tables: tables.map((t) => ({
      name: t.name,
      sample: describe(t),
      masking: Object.fromEntries(t.masking.map((m) => [m.column, m.strategy])),
    })),
    nonPersonal: resolved.plan.nonPersonal,
    objects,
    secrets,
  };
}

function renderPlan(
  resolved: ResolvedKitchenClone,
  location: SnapshotLocation,
  tables: readonly TablePlan[],
  objects: readonly PlannedObjects[],
  secrets: readonly string[],
  describe: Describe,
): string {
  const lines: string[] = [];
  lines.push(
    `Clone plan: Kitchen ${resolved.kitchen} in ${resolved.host.name}, seeded from the snapshot ${resolved.source.name} publishes`,
  );
  lines.push(`Snapshot: ${location.kind === 's3' ? location.uri : location.path} (newest complete run)`);
  lines.push('');
  if (tables.length > 0) {
    lines.push(
      `Tables: ${resolved.sourceSchema} (masked inside ${resolved.source.name}) -> ${resolved.targetSchema} (COPY, server-side)`,
    );
    lines.push(table([['  TABLE', 'SAMPLE'], ...tables.map((t) => [`  ${t.name}`, describe(t)])]));
    lines.push('');
    lines.push('Masking (declared for every column):');
    for (const t of tables) {
      const masked = t.masking.filter((m) => m.strategy !== 'keep').map((m) => `${m.column}=${m.strategy}`);
      const kept = t.masking.filter((m) => m.strategy === 'keep').map((m) => m.column);
      lines.push(
        `  ${t.name}: ${masked.length > 0 ? masked.join(', ') : 'nothing masked'}; keep: ${kept.length > 0 ? kept.join(', ') : '-'}`,
      );
    }
    lines.push('');
  }
  lines.push('Declared non-personal (the only production files published):');
  if (resolved.plan.nonPersonal.length === 0) lines.push('  (none: no files are published)');
  for (const a of resolved.plan.nonPersonal) lines.push(`  ${a.bucket}:${a.prefix} - ${a.reason}`);
  lines.push('');
  if (objects.length > 0) {
    lines.push('Objects (server-side copy from the snapshot):');
    lines.push(
      table(objects.map((o) => [`  ${o.role}`, `${o.source} -> ${o.target}`, `under ${o.declaredNonPersonal}`])),
    );
    lines.push('');
  }
  if (secrets.length > 0) {
    lines.push(`Secrets (new credentials, nothing copied from production): ${secrets.join(', ')}`);
  }
  return lines.join('\n').trimEnd();
}

function renderSummary(summary: {
  readonly kitchen: string;
  readonly snapshot: { readonly run: string; readonly publishedAt: string };
  readonly seconds: number;
  readonly tables: readonly SeedResult[];
  readonly objects: readonly ObjectCloneResult[];
  readonly secrets: readonly { readonly name: string; readonly action: string }[];
}): string {
  const created = summary.tables.filter((t) => t.action === 'created');
  const rows = summary.tables.reduce((n, t) => n + t.rows, 0);
  const copied = summary.objects.reduce((n, o) => n + o.copied, 0);
  const skipped = summary.objects.reduce((n, o) => n + o.skipped, 0);
  const bytes = summary.objects.reduce((n, o) => n + o.bytesCopied, 0);
  return [
    '',
    `Kitchen ${summary.kitchen} seeded from snapshot ${summary.snapshot.run} (published ${summary.snapshot.publishedAt}) in ${summary.seconds.toFixed(1)} s:`,
    `  tables:  ${created.length} built, ${summary.tables.length - created.length} already up to date, ${rows} rows`,
    `  objects: ${copied} copied (${sizeOf(bytes)} server-side), ${skipped} already present`,
    `  secrets: ${summary.secrets.length > 0 ? summary.secrets.map((s) => `${s.name} (${s.action})`).join(', ') : '-'}`,
  ].join('\n');
}

interface Bars {
  create(total: number, start: number, payload: { readonly what: string }): { increment(n: number): void };
  stop(): void;
}

/** Progress bars on stderr when it is a terminal; none with --json. */
async function progressBars(output: Output): Promise<Bars | undefined> {
  if (output.json || process.stderr.isTTY !== true) return undefined;
  const { MultiBar, Presets } = await import('cli-progress');
  return new MultiBar(
    {
      stream: process.stderr,
      format: ' {what} [{bar}] {value}/{total} {percentage}% | {duration_formatted}',
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
}
