/**
 * CDK's built-in CloudFormation validation is opt-in: on only with CDK_VALIDATION=true. This is the one test that
 * runs the checker (CI's synth of the whole app is the other place it runs).
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { builtinValidation } from '../../lib/validation';
import { tempOutdir } from '../support/synth';

/** Synthesizes one stack with a queue whose retention period CloudFormation rejects; returns the report's plugins. */
function synthBadQueue(env: NodeJS.ProcessEnv): { plugins: string[]; violations: string[] } {
  const saved = process.env.CDK_VALIDATION;
  if (env.CDK_VALIDATION === undefined) delete process.env.CDK_VALIDATION;
  else process.env.CDK_VALIDATION = env.CDK_VALIDATION;
  const outdir = tempOutdir('validation');
  try {
    const app = new App({ outdir, builtinCloudFormationValidation: builtinValidation(env) });
    const stack = new Stack(app, 'Checked');
    new CfnResource(stack, 'Queue', {
      type: 'AWS::SQS::Queue',
      properties: { MessageRetentionPeriod: 'two weeks' },
    });
    try {
      app.synth();
    } catch {
      // A failing check may stop the synth; the report is written either way.
    }
    const file = path.join(outdir, 'validation-report.json');
    const report = fs.existsSync(file)
      ? (JSON.parse(fs.readFileSync(file, 'utf8')) as {
          pluginReports: { pluginName: string; violations: { ruleName: string }[] }[];
        })
      : { pluginReports: [] };
    return {
      plugins: report.pluginReports.map((p) => p.pluginName),
      violations: report.pluginReports.flatMap((p) => p.violations.map((v) => v.ruleName)),
    };
  } finally {
    if (saved === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = saved;
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe('CDK validation opt-in', () => {
  it('should be off unless CDK_VALIDATION is exactly "true"', () => {
    expect(builtinValidation({})).toBe(false);
    expect(builtinValidation({ CDK_VALIDATION: 'false' })).toBe(false);
    expect(builtinValidation({ CDK_VALIDATION: '1' })).toBe(false);
    expect(builtinValidation({ CDK_VALIDATION: 'true' })).toBe(true);
  });

  it('should run no CloudFormation check by default, even though aws-cdk-lib would', () => {
    const { plugins } = synthBadQueue({});
    expect(plugins).toStrictEqual([]);
  });

  it('should run the CloudFormation check and report the bad property with CDK_VALIDATION=true', () => {
    const { plugins, violations } = synthBadQueue({ CDK_VALIDATION: 'true' });
    expect(plugins).toStrictEqual(['CloudFormation Validate']);
    expect(violations).toContain('F3012');
  });
});
