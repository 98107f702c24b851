import type { Command } from 'commander';
import { ConfigError } from '../../config/errors';
import { loadConfig } from '../../config/loader';
import { CliError, EXIT_USAGE } from '../errors';
import { Output, table } from '../output';
import type { ObjectCloneResult, ResolvedKitchenClone, SqlExecutor, TableCloneResult, TablePlan } from '../../clone';

interface CloneOptions {
  readonly from?: string;
  readonly dryRun?: boolean;
  readonly pgUrl?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly dbUser: string;
  readonly saltEnv: string;
  readonly refresh?: boolean;
  readonly tables: boolean;
  readonly objects: boolean;
  readonly secrets: boolean;
}

/** A salt used only to EXPLAIN the queries of a dry run (the salt never changes whether a query is valid). */
const EXPLAIN_SALT = 'dry-run-explain-only';

/** `kitchen clone NAME [--from PARENT] [--dry-run] [--pg-url URL]`. */
export function register(program: Command): void {
  program
    .command('clone')
    .description('seed a Kitchen with sampled, masked data from its parent (prints the plan, then runs it)')
    .argument('<name>', 'the Kitchen to seed')
    .option('--from <parent>', "parent environment or Kitchen (default: the plan's `from`, else production)")
    .option('--dry-run', 'print the plan and stop')
    .option('--pg-url <url>', 'run the SQL on this PostgreSQL instead of the Redshift Data API (local use)')
    .option('--profile <name>', 'AWS profile for S3, Secrets Manager and the Redshift Data API')
    .option('--region <region>', "AWS region (default: each environment's region)")
    .option('--db-user <user>', 'warehouse user the Redshift Data API connects as', 'kitchens_cloner')
    .option('--salt-env <variable>', 'environment variable holding the masking salt', 'KITCHENS_CLONE_SALT')
    .option('--refresh', 'rebuild tables even when they are up to date (picks up new source rows)')
    .option('--no-tables', 'skip the warehouse tables')
    .option('--no-objects', 'skip the data lake objects')
    .option('--no-secrets', "skip the Kitchen's credentials")
    .action(async (name: string, opts: CloneOptions) => {
      await runClone(new Output(program.opts()), program.opts().config as string, name, opts);
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

interface PlannedObjects {
  readonly role: string;
  readonly source: string;
  readonly target: string;
  readonly listed: number;
  readonly selected: number;
  readonly bytes: number;
}

async function runClone(output: Output, configFile: string, name: string, opts: CloneOptions): Promise<void> {
  // Heavy modules load here, not at CLI start-up.
  const clone = await import('../../clone');
  const config = loadConfig(configFile);
  let resolved: ResolvedKitchenClone;
  try {
    resolved = clone.resolveKitchenClone(config, name, opts.from);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new CliError((e as Error).message, EXIT_USAGE);
  }
  const salt = process.env[opts.saltEnv];
  if (!opts.dryRun && opts.tables && resolved.plan.tables.length > 0) {
    if (salt === undefined || salt === '') {
      throw new CliError(
        `the masking salt is read from $${opts.saltEnv}, which is not set; set it to the team's clone salt (16+ characters) or pass --salt-env`,
        EXIT_USAGE,
      );
    }
    try {
      clone.checkSalt(salt);
    } catch (e) {
      throw new CliError(`$${opts.saltEnv}: ${(e as Error).message}`, EXIT_USAGE);
    }
  }

  const aws = { region: opts.region, profile: opts.profile };
  const endpoint = process.env.AWS_ENDPOINT_URL;
  const { source, target, transfer } = await executors(resolved, opts, aws);
  try {
    // 1. Plan: tables against the source catalog, objects against the source listing. Nothing is written yet.
    let tables: TablePlan[] = [];
    if (opts.tables && resolved.plan.tables.length > 0) {
      const catalog = await clone.readCatalog(source, resolved.sourceSchema);
      tables = clone.planTables(resolved.plan, catalog, resolved.location);
      const problems = await clone.preflightTables(tables, {
        source,
        target,
        transfer,
        sourceSchema: resolved.sourceSchema,
        targetSchema: resolved.targetSchema,
        salt: salt !== undefined && salt.length >= 16 ? salt : `${EXPLAIN_SALT}-0000`,
      });
      if (problems.length > 0) {
        throw new ConfigError(problems.map((p) => `${resolved.location.file}: ${resolved.location.at}: ${p}`));
      }
    }
    const { S3Client } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({
      region: opts.region ?? resolved.host.region,
      profile: opts.profile,
      forcePathStyle: endpoint !== undefined,
    });
    const objectPlans: PlannedObjects[] = [];
    const samples = new Map<string, Awaited<ReturnType<typeof clone.listSample>>>();
    if (opts.objects) {
      for (const o of resolved.objects) {
        const sample = await clone.listSample({
          s3,
          sourceBucket: o.sourceBucket,
          sourcePrefix: o.sourcePrefix,
          fraction: o.fraction,
          limit: o.limit,
        });
        samples.set(`${o.sourceBucket}/${o.sourcePrefix}`, sample);
        objectPlans.push({
          role: o.role,
          source: `s3://${o.sourceBucket}/${o.sourcePrefix}`,
          target: `s3://${o.targetBucket}/${o.targetPrefix}`,
          listed: sample.listed,
          selected: sample.selected.length,
          bytes: sample.selected.reduce((n, x) => n + x.size, 0),
        });
      }
    }
    const secretNames = opts.secrets ? resolved.secretRoles.map((r) => resolved.names.secretName(r)) : [];
    // With --pg-url both schemas are in one local database, whatever the environments.
    const method: Method = target === undefined ? 'create-table-as-select' : 'unload-copy';
    const plan = planJson(resolved, method, tables, objectPlans, secretNames, clone.describeSample);
    if (!output.json) {
      output.result(plan, () => renderPlan(resolved, method, tables, objectPlans, secretNames, clone.describeSample));
    }
    if (opts.dryRun) {
      if (output.json) output.result({ plan, dryRun: true }, () => '');
      else output.progress('dry run: nothing was written');
      return;
    }

    // 2. Run: tables, then objects, then secrets.
    const started = Date.now();
    const progress = await progressBars(output);
    let tableResults: TableCloneResult[] = [];
    if (tables.length > 0) {
      const bar = progress?.create(tables.length, 0, { what: 'tables ' });
      tableResults = await clone.cloneTables(tables, {
        source,
        target,
        transfer,
        sourceSchema: resolved.sourceSchema,
        targetSchema: resolved.targetSchema,
        salt: salt!,
        refresh: opts.refresh,
        onProgress: (e) => (e.phase === 'done' ? bar?.increment(1) : undefined),
      });
    }
    const objectResults: ObjectCloneResult[] = [];
    for (const o of opts.objects ? resolved.objects : []) {
      const selected = samples.get(`${o.sourceBucket}/${o.sourcePrefix}`)!.selected.length;
      const bar = progress?.create(selected, 0, { what: `${o.role.padEnd(7).slice(0, 7)}` });
      objectResults.push(
        await clone.cloneObjects({
          s3,
          sourceBucket: o.sourceBucket,
          sourcePrefix: o.sourcePrefix,
          targetBucket: o.targetBucket,
          targetPrefix: o.targetPrefix,
          fraction: o.fraction,
          limit: o.limit,
          concurrency: resolved.concurrency,
          onProgress: () => bar?.increment(1),
        }),
      );
    }
    let secretResults: Awaited<ReturnType<typeof clone.provisionKitchenSecrets>> = [];
    if (secretNames.length > 0) {
      const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      secretResults = await clone.provisionKitchenSecrets({
        client: new SecretsManagerClient({ region: opts.region ?? resolved.host.region, profile: opts.profile }),
        names: resolved.names,
        roles: resolved.secretRoles,
      });
    }
    progress?.stop();
    const summary = {
      kitchen: resolved.kitchen,
      seconds: (Date.now() - started) / 1000,
      tables: tableResults,
      objects: objectResults,
      secrets: secretResults.map(({ role, name: secretName, action }) => ({ role, name: secretName, action })),
    };
    output.result(output.json ? { plan, result: summary } : summary, () => renderSummary(summary));
  } finally {
    await source.close();
    if (target !== undefined) await target.close();
  }
}

async function executors(
  resolved: ResolvedKitchenClone,
  opts: CloneOptions,
  aws: { readonly region?: string; readonly profile?: string },
): Promise<{ source: SqlExecutor; target?: SqlExecutor; transfer?: import('../../clone').TransferLocation }> {
  const clone = await import('../../clone');
  if (opts.pgUrl !== undefined) {
    // Local stand-in: parent and Kitchen schemas live in one PostgreSQL database.
    return { source: new clone.PostgresExecutor(opts.pgUrl) };
  }
  const { RedshiftDataClient } = await import('@aws-sdk/client-redshift-data');
  const parentEnv = resolved.parent.environment;
  const warehouseOf = (env: typeof parentEnv, names: typeof resolved.names) =>
    new clone.RedshiftDataExecutor(new RedshiftDataClient({ region: aws.region ?? env.region, profile: aws.profile }), {
      clusterIdentifier: names.clusterIdentifier(),
      database: env.warehouse.database,
      dbUser: opts.dbUser,
    });
  const parentEnvNames = new (await import('../../naming')).Names({
    ...resolved.parent.names.context,
    kitchen: undefined,
  });
  const hostNames = new (await import('../../naming')).Names({ ...resolved.names.context, kitchen: undefined });
  const source = warehouseOf(parentEnv, parentEnvNames);
  if (resolved.sameWarehouse) {
    return { source };
  }
  // The export bucket and the role chains the transfer stacks create (lib/clone/transfer.ts).
  const transfer = clone.cloneTransfer(resolved.names.context.project, parentEnv, resolved.host);
  return {
    source,
    target: warehouseOf(resolved.host, hostNames),
    transfer: {
      exportUri: `s3://${transfer.exportBucket}/${resolved.names.dataPrefix}clone-export/`,
      unloadRoleArn: transfer.unloadRoleChain,
      copyRoleArn: transfer.copyRoleChain,
    },
  };
}

type Describe = (t: TablePlan) => string;
type Method = 'create-table-as-select' | 'unload-copy';

function planJson(
  resolved: ResolvedKitchenClone,
  method: Method,
  tables: readonly TablePlan[],
  objects: readonly PlannedObjects[],
  secrets: readonly string[],
  describe: Describe,
) {
  return {
    kitchen: resolved.kitchen,
    environment: resolved.host.name,
    from: { kind: resolved.parent.kind, name: resolved.parent.name },
    sourceSchema: resolved.sourceSchema,
    targetSchema: resolved.targetSchema,
    method,
    tables: tables.map((t) => ({
      name: t.name,
      sourceRows: t.estimatedSourceRows,
      estimatedRows: t.estimatedRows,
      sample: describe(t),
      masking: Object.fromEntries(t.masking.map((m) => [m.column, m.strategy])),
    })),
    objects,
    secrets,
  };
}

function renderPlan(
  resolved: ResolvedKitchenClone,
  method: Method,
  tables: readonly TablePlan[],
  objects: readonly PlannedObjects[],
  secrets: readonly string[],
  describe: Describe,
): string {
  const lines: string[] = [];
  lines.push(
    `Clone plan: Kitchen ${resolved.kitchen} in ${resolved.host.name}, from ${resolved.parent.kind} ${resolved.parent.name}`,
  );
  lines.push('');
  if (tables.length > 0) {
    const how =
      method === 'create-table-as-select'
        ? 'CREATE TABLE AS SELECT in one warehouse'
        : 'UNLOAD masked sample, COPY into the Kitchen';
    lines.push(`Tables: ${resolved.sourceSchema} -> ${resolved.targetSchema} (${how})`);
    lines.push(
      table([
        ['  TABLE', 'SOURCE ROWS', 'EST. ROWS', 'SAMPLE'],
        ...tables.map((t) => [`  ${t.name}`, String(t.estimatedSourceRows), String(t.estimatedRows), describe(t)]),
      ]),
    );
    lines.push('');
    lines.push('Masking:');
    for (const t of tables) {
      const masked = t.masking
        .filter((m) => m.strategy !== 'keep')
        .map((m) => `${m.column}=${m.strategy}${m.reason === 'plan' ? '' : ' (personal data)'}`);
      const kept = t.masking.filter((m) => m.strategy === 'keep').map((m) => m.column);
      lines.push(
        `  ${t.name}: ${masked.length > 0 ? masked.join(', ') : 'nothing masked'}; keep: ${kept.length > 0 ? kept.join(', ') : '-'}`,
      );
    }
    lines.push('');
  }
  if (objects.length > 0) {
    lines.push('Objects (server-side copy):');
    lines.push(
      table(
        objects.map((o) => [
          `  ${o.role}`,
          `${o.source} -> ${o.target}`,
          `${o.selected} of ${o.listed} objects`,
          sizeOf(o.bytes),
        ]),
      ),
    );
    lines.push('');
  }
  if (secrets.length > 0) {
    lines.push(`Secrets (new credentials, nothing copied from the parent): ${secrets.join(', ')}`);
  }
  return lines.join('\n').trimEnd();
}

function renderSummary(summary: {
  readonly kitchen: string;
  readonly seconds: number;
  readonly tables: readonly TableCloneResult[];
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
    `Kitchen ${summary.kitchen} seeded in ${summary.seconds.toFixed(1)} s:`,
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
