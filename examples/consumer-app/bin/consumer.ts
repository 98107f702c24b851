#!/usr/bin/env node
// A user's own CDK app (from `cdk init app --language typescript`) that installs cdk-kitchens from npm:
// (a) release environments from a YAML config, (c) a pipeline written with the TypeScript builder, and
// (b) Vault, DataLake and Alerts used alone in a plain stack (lib/consumer-stack.ts), and (d) a stack of the team's
// own that cdk-nag would flag, which the library's checks leave alone.
import * as cdk from 'aws-cdk-lib/core';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildApp, loadConfig, PipelineBuilder } from 'cdk-kitchens';
import { ConsumerStack } from '../lib/consumer-stack';

const app = new cdk.App();

const dailyTotals = new PipelineBuilder('daily-totals')
  .description('Sums the curated orders per day')
  .schedule('cron(0 6 * * ? *)')
  .sql('sum-orders', {
    sql: 'INSERT INTO {{schema}}.daily_totals SELECT order_date, SUM(amount) FROM {{schema}}.orders GROUP BY 1',
    tests: [
      {
        name: 'daily totals row count',
        query: 'SELECT COUNT(*) FROM {{schema}}.daily_totals',
        rule: { min: 1 },
      },
    ],
  })
  .container('publish', { app: 'report', after: ['sum-orders'] });

// The cdk-nag AwsSolutions checks run over the stacks buildApp creates ({ nagScope: 'app' } would add the others).
buildApp(loadConfig('kitchens.config.yaml'), { pipelines: [dailyTotals] }, app);

new ConsumerStack(app, 'ConsumerStack', {
  env: { account: '333333333333', region: 'eu-west-1' },
});

// The team's own stack: a bucket without server access logs or an SSL-only policy (AwsSolutions-S1, S10). It is not
// the library's, so the library's checks do not fail the synth over it.
const team = new cdk.Stack(app, 'TeamStack', { env: { account: '333333333333', region: 'eu-west-1' } });
new s3.Bucket(team, 'Scratch', { removalPolicy: cdk.RemovalPolicy.DESTROY });
