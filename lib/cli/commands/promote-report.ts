import * as fs from 'fs';
import type { Command } from 'commander';
import { loadConfig } from '../../config/loader';
import { Output } from '../output';
import { AlignOptions, loadAppBuilder, synthesizing } from './align';

/**
 * `kitchen promote-report [--from ENV] [--to ENV] [--out FILE] [--app MODULE]`: the Markdown report of what a
 * promotion would change. Exit 0 when the report is written (alignment is reported inside; `kitchen align` is the
 * gate), 2 on bad input.
 */
export function register(program: Command): void {
  program
    .command('promote-report')
    .description('write a Markdown report of what promoting one environment to another would change')
    .option(
      '--from <environment>',
      'environment whose code is promoted (default: the development environment that hosts Kitchens)',
    )
    .option('--to <environment>', 'environment promoted to (default: the production environment)')
    .option('--out <file>', 'write the report to this file instead of stdout')
    .option('--app <module>', 'module exporting buildApp(config, options) to synthesize instead of the bundled app')
    .action((opts: AlignOptions & { out?: string }) => {
      const global = program.opts<{ config: string; json?: boolean }>();
      const output = new Output(global);
      const config = loadConfig(global.config);
      const build = loadAppBuilder(opts.app);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { promotionReport } = require('../../align') as typeof import('../../align');
      output.progress('synthesizing both environments (cdk-nag and CDK validation off)...');
      const report = synthesizing('kitchen promote-report', () =>
        promotionReport({ config, from: opts.from, to: opts.to, build }),
      );
      if (opts.out !== undefined) {
        fs.writeFileSync(opts.out, report.markdown);
      }
      const summary = {
        from: report.from,
        to: report.to,
        iamWidening: report.iamWidening,
        securityGroupWidening: report.securityGroupWidening,
        aligned: report.alignment.aligned,
        resources: report.resources,
        pipelines: report.pipelines.map(({ mermaid: _mermaid, ...p }) => p),
        ...(opts.out !== undefined ? { out: opts.out } : { markdown: report.markdown }),
      };
      output.result(summary, () => (opts.out !== undefined ? `wrote ${opts.out}` : report.markdown.trimEnd()));
    });
}
