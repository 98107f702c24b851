import * as fs from 'fs';
import type { Command } from 'commander';
import { allowingUndeclaredDivergence, loadConfig } from '../../config/loader';
import { findEnvironment, productionEnvironment, relativeFile } from '../../config/model';
import { CliError, EXIT_SERVICE, EXIT_USAGE } from '../errors';
import { Output } from '../output';
import { loadAppModule } from '../../kitchen/app-source';
import { appOf, appPipelines, readApp, type GlobalOptions } from '../app';
import { assemblyEnvironments, kitchenAgainstParent, synthesizing } from './align';

export interface PromoteReportOptions {
  readonly base?: string;
  readonly env?: string;
  readonly from?: string;
  readonly out?: string;
  readonly comment?: string;
  readonly budget?: string;
  readonly kitchen?: string;
  readonly against?: string;
}

/**
 * `kitchen promote-report --base REF|deployed [--env ENV] [--from ENV] [--out FILE] [--comment FILE]`: the Markdown
 * report of what the current checkout does to an environment (production by default) against the base. Exit 0
 * when the report is written (`kitchen align` is the gate), 2 on bad input (checked before any synthesis), 3 when
 * reading the deployed stack fails, 4 when the base could not be built (the report, written, covers the head alone).
 * With `--kitchen CHILD --against PARENT`, the report is the child Kitchen against its parent Kitchen instead (see
 * kitchenReport).
 */
export function register(program: Command): void {
  program
    .command('promote-report')
    .description(
      'write a Markdown report of what this change does to production, against a git ref or the deployed stack',
    )
    .option('--base <ref>', 'git ref to compare with (e.g. origin/main), or "deployed" for the deployed stack')
    .option('--env <environment>', 'environment the report is about (default: the production environment)')
    .option(
      '--from <environment>',
      'environment checked against --env in the alignment section (default: the Kitchen host)',
    )
    .option('--out <file>', 'write the full report to this file instead of stdout')
    .option('--comment <file>', 'also write the report cut to the size budget (for a pull request comment)')
    .option('--budget <characters>', 'size budget of --comment (GitHub refuses comments over 65536)', '60000')
    .option('--kitchen <child>', 'with --against: the child Kitchen, synthesized from this checkout')
    .option(
      '--against <parent>',
      'report the child Kitchen (--kitchen) against its parent Kitchen, deployed (default) or at --base REF',
    )
    .action(async (opts: PromoteReportOptions) => {
      const global = program.opts<GlobalOptions>();
      const output = new Output(global);
      if (opts.against !== undefined || opts.kitchen !== undefined) {
        await kitchenReport(program, opts, output);
        return;
      }
      if (opts.base === undefined || opts.base.trim() === '') {
        throw new CliError(
          'kitchen promote-report: --base is required: a git ref such as origin/main, or "deployed"',
          EXIT_USAGE,
        );
      }
      const budget = budgetOf(opts);
      // a development field that differs from production undeclared is drift to report (exit 1), not bad input
      const config = loadConfig(global.config, { undeclaredDivergence: 'allow' });
      const env =
        opts.env !== undefined
          ? synthesizing('--env', () => findEnvironment(config, opts.env!))
          : productionEnvironment(config);
      if (!env) throw new CliError(`${relativeFile(config)}: no production environment; give --env NAME`, EXIT_USAGE);
      // The head is the app (cdk.json, or --app: a command, a cloud assembly or a module exporting buildApp).
      const source = appOf(program, { modules: true });
      /* eslint-disable @typescript-eslint/no-require-imports */
      const align = require('../../align') as typeof import('../../align');
      const base = require('../../align/base') as typeof import('../../align/base');
      /* eslint-enable @typescript-eslint/no-require-imports */
      // the base first: a ref that does not resolve is bad input, found before minutes of synthesis
      let resolved: import('../../align/base').ResolvedRef | undefined;
      if (opts.base !== 'deployed') {
        try {
          resolved = base.resolveBaseRef(opts.base, config.file);
        } catch (e) {
          throw new CliError(e instanceof Error ? e.message : String(e), EXIT_USAGE);
        }
      }
      const { from, to } = synthesizing('kitchen promote-report', () =>
        align.resolveEnvironments(config, opts.from, env.name),
      );
      let head: {
        template: import('../../align').Template;
        alignment: import('../../align').AlignmentResult;
        pipelines: readonly import('../../pipeline/model').PipelineDefinition[];
      };
      if (source.kind === 'module' || source.kind === 'buildApp') {
        const build = source.kind === 'module' ? loadAppModule(source.module) : undefined;
        const { loadPipelines } = require('../../app') as typeof import('../../app'); // eslint-disable-line @typescript-eslint/no-require-imports
        output.progress(`synthesizing ${env.name} from the working tree (cdk-nag and CDK validation off)...`);
        head = synthesizing('kitchen promote-report', () => {
          const synthesized = align.synthesizeWithAssets(config, [from.name, to.name], build);
          const alignment = align.compareEnvironments(config, from, to, synthesized);
          return { template: synthesized.templates[to.name], alignment, pipelines: loadPipelines(config) };
        });
      } else {
        const app = await allowingUndeclaredDivergence(() => readApp(source, config, output));
        try {
          const synthesized = assemblyEnvironments(app, config, [from, to]);
          head = {
            template: synthesized.templates[to.name],
            alignment: align.compareEnvironments(config, from, to, synthesized),
            // the pipelines the app compiled into the environment, from the assembly
            pipelines: appPipelines(app, config, to).map((p) => p.definition),
          };
        } finally {
          await app.dispose();
        }
      }

      let baseSide: import('../../align').PromotionSide;
      let baseError: string | undefined;
      if (opts.base === 'deployed') {
        output.progress(`reading the deployed template of ${base.stackNameOf(config, env)}...`);
        try {
          baseSide = await base.deployedSide(base.cloudFormationReader(env.region), base.stackNameOf(config, env), {
            account: env.account,
            region: env.region,
          });
        } catch (e) {
          throw new CliError(
            `kitchen promote-report: reading the deployed stack failed: ${e instanceof Error ? e.message : String(e)}`,
            EXIT_SERVICE,
          );
        }
      } else {
        output.progress(`synthesizing ${env.name} at ${opts.base} in a temporary worktree...`);
        try {
          baseSide = base.synthesizeAtRef(opts.base, { config, environment: env, resolved });
        } catch (e) {
          if (!(e instanceof base.BaseBuildError))
            throw new CliError(e instanceof Error ? e.message : String(e), EXIT_USAGE);
          // a base that cannot be built (a pull request fixing a broken base): report the head alone, and say why
          baseError = e.message;
          baseSide = {
            label: `\`${opts.base}\` (${resolved!.commit.slice(0, 7)}, could not be built)`,
            template: { Resources: {} },
          };
        }
      }

      const report = align.buildPromotionReport({
        environment: env.name,
        base: baseSide,
        head: { label: 'this change', template: head.template, pipelines: head.pipelines },
        alignment: head.alignment,
        budget,
        ...(baseError !== undefined ? { baseError } : {}),
      });
      if (opts.out !== undefined) fs.writeFileSync(opts.out, report.markdown);
      if (opts.comment !== undefined) fs.writeFileSync(opts.comment, report.comment);
      const summary = {
        environment: report.environment,
        base: report.base,
        iamWidening: report.iamWidening,
        securityGroupWidening: report.securityGroupWidening,
        aligned: report.alignment?.aligned,
        ...(baseError !== undefined ? { baseError } : {}),
        resources: report.resources,
        pipelines: report.pipelines.map(({ mermaid: _mermaid, ...p }) => p),
        stateMachines: report.stateMachines,
        markdownCharacters: report.markdown.length,
        commentCharacters: report.comment.length,
        ...(opts.out !== undefined ? { out: opts.out } : { markdown: report.markdown }),
      };
      output.result(summary, () =>
        opts.out !== undefined
          ? `wrote ${opts.out}${opts.comment ? ` and ${opts.comment}` : ''}`
          : report.markdown.trimEnd(),
      );
      if (baseError !== undefined) {
        throw new CliError(
          `kitchen promote-report: the report covers the head alone (exit ${align.EXIT_BASE_NOT_BUILT}): ${baseError}`,
          align.EXIT_BASE_NOT_BUILT,
        );
      }
    });
}

/** The size budget of `--comment`, checked: an integer from 1000 to 65536. */
function budgetOf(opts: PromoteReportOptions): number {
  const budget = Number(opts.budget);
  if (!Number.isInteger(budget) || budget < 1000 || budget > 65_536) {
    throw new CliError(
      `kitchen promote-report: --budget must be an integer from 1000 to 65536, got: ${JSON.stringify(opts.budget)}`,
      EXIT_USAGE,
    );
  }
  return budget;
}

/**
 * `promote-report --kitchen CHILD --against PARENT [--base REF|deployed]`: what `kitchen align --against` reports, as
 * Markdown for the pull request of a branch that merges into another Kitchen's branch. Exit 0 with the report, 1
 * when the parent cannot be compared as asked, 2 on bad arguments, 3 when reading the deployed parent fails.
 */
async function kitchenReport(program: Command, opts: PromoteReportOptions, output: Output): Promise<void> {
  if (opts.against === undefined) {
    throw new CliError(
      'kitchen promote-report: --kitchen CHILD goes with --against PARENT (the parent Kitchen to compare with)',
      EXIT_USAGE,
    );
  }
  const budget = budgetOf(opts);
  const global = program.opts<GlobalOptions>();
  const config = loadConfig(global.config, { undeclaredDivergence: 'allow' });
  const source = appOf(program, { modules: true });
  const result = await kitchenAgainstParent(
    'kitchen promote-report',
    { kitchen: opts.kitchen, against: opts.against, base: opts.base, env: opts.env, from: opts.from },
    config,
    source,
    output,
  );
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const align = require('../../align') as typeof import('../../align');
  const markdown = align.renderParentComparisonMarkdown(result, Number.MAX_SAFE_INTEGER);
  const comment = align.renderParentComparisonMarkdown(result, budget);
  if (opts.out !== undefined) fs.writeFileSync(opts.out, markdown);
  if (opts.comment !== undefined) fs.writeFileSync(opts.comment, comment);
  output.result(
    {
      ...result,
      markdownCharacters: markdown.length,
      commentCharacters: comment.length,
      ...(opts.out !== undefined ? { out: opts.out } : { markdown }),
    },
    () =>
      opts.out !== undefined ? `wrote ${opts.out}${opts.comment ? ` and ${opts.comment}` : ''}` : markdown.trimEnd(),
  );
}
