import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { awsSolutionsChecks, withAbsentServicesHidden } from '../../../constructs/core/nag-checks';
import { buildApp } from '../../../lib/app';
import { exampleConfig } from '../../support/app';
import { tempOutdir } from '../../support/synth';

type Exports = Record<string, unknown>;

/** Whether `name` of an aws-cdk-lib service module is still its lazy getter (its module not read through it). */
function unread(module: string, name: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(`aws-cdk-lib/${module}`) as Exports;
  return typeof Object.getOwnPropertyDescriptor(exported, name)?.get === 'function';
}

function violations(report: { violations: { ruleName: string; violatingResources: { constructPath?: string }[] }[] }) {
  return report.violations
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`))
    .sort();
}

// Order matters in this file: the tests that look at unread exports run before anything reads them.
describe('withAbsentServicesHidden', () => {
  function stackWith(type?: string): IConstruct {
    const stack = new Stack(new App(), 'S');
    if (type) new CfnResource(stack, 'R', { type });
    return stack.node.root;
  }

  it('should hide the unread L1 classes of a service the tree has no resource of, and put them back', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sagemaker = require('aws-cdk-lib/aws-sagemaker') as Exports;
    const original = Object.getOwnPropertyDescriptor(sagemaker, 'CfnModel');
    let inside: unknown;
    withAbsentServicesHidden(stackWith('AWS::S3::Bucket'), () => (inside = sagemaker.CfnModel), ['aws-sagemaker']);
    expect(typeof inside).toBe('function');
    expect((inside as { name: string }).name).toBe('CfnModel');
    expect({} instanceof (inside as new () => object)).toBe(false);
    expect((inside as { CFN_RESOURCE_TYPE_NAME?: string }).CFN_RESOURCE_TYPE_NAME).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(sagemaker, 'CfnModel')).toStrictEqual(original);
    expect(unread('aws-sagemaker', 'CfnModel')).toBe(true);
  });

  it('should leave a service alone when a resource of its type is in the tree, even a plain CfnResource', () => {
    let hidden: boolean | undefined;
    withAbsentServicesHidden(
      stackWith('AWS::SageMaker::Model'),
      () => (hidden = !unread('aws-sagemaker', 'CfnModel')),
      ['aws-sagemaker'],
    );
    expect(hidden).toBe(false);
  });

  it('should take a versioned resource type as its module service (KinesisAnalyticsV2 in aws-kinesisanalytics)', () => {
    let hidden: boolean | undefined;
    withAbsentServicesHidden(
      stackWith('AWS::KinesisAnalyticsV2::Application'),
      () => (hidden = !unread('aws-kinesisanalytics', 'CfnApplicationV2')),
      ['aws-kinesisanalytics'],
    );
    expect(hidden).toBe(false);
  });

  it('should put the exports back when the check throws', () => {
    expect(() =>
      withAbsentServicesHidden(
        stackWith(),
        () => {
          throw new Error('check failed');
        },
        ['aws-sagemaker'],
      ),
    ).toThrow('check failed');
    expect(unread('aws-sagemaker', 'CfnModel')).toBe(true);
  });
});

describe('awsSolutionsChecks', () => {
  it('should still flag a real L1 resource whose module export was never read, as an L2 construct makes it', () => {
    // An L2 construct (sqs.Queue) loads the generated module directly, leaving the index export unread: the same
    // state is made here by reading CfnQueue once and putting the lazy export back.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sqs = require('aws-cdk-lib/aws-sqs') as Exports;
    const lazy = Object.getOwnPropertyDescriptor(sqs, 'CfnQueue') as PropertyDescriptor;
    const CfnQueue = sqs.CfnQueue as new (scope: IConstruct, id: string, props: object) => CfnResource;
    Object.defineProperty(sqs, 'CfnQueue', lazy);
    expect(unread('aws-sqs', 'CfnQueue')).toBe(true);

    const app = new App();
    new CfnQueue(new Stack(app, 'S'), 'Queue', {});
    const fast = violations(awsSolutionsChecks(app).validate({ appConstruct: app } as never));
    // What cdk-nag reports for a bare queue (SQS3: no dead-letter queue; SQS4: no SSL-only queue policy). The
    // shipped checks are compared in the next test: they read every module, so they cannot run before this one.
    expect(fast).toStrictEqual(['AwsSolutions-SQS3 at S/Queue', 'AwsSolutions-SQS4 at S/Queue']);
  });

  it('should report exactly what cdk-nag reports, without loading the services the app does not use', () => {
    const built = buildApp(exampleConfig(), {
      nag: false,
      outdir: tempOutdir('nag-checks'),
      context: { kitchen: 'profit-report' },
    });
    // Findings to keep: an unsafe bucket (S1, S2, S10...) beside the real stacks.
    new s3.Bucket(built.environments.dev, 'Unsafe');
    const root = built.app;

    const fast = violations(awsSolutionsChecks(root).validate({ appConstruct: root } as never));
    expect(unread('aws-quicksight', 'CfnDataSource')).toBe(true);
    expect(unread('aws-sagemaker', 'CfnNotebookInstance')).toBe(true);

    const shipped = violations(new AwsSolutionsChecks(root).validateScope(root));
    expect(unread('aws-quicksight', 'CfnDataSource')).toBe(false);
    expect(fast).toStrictEqual(shipped);
    expect(fast).toEqual(expect.arrayContaining(['AwsSolutions-S10 at acme-dev/Unsafe/Resource']));
  });
});
