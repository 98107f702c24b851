#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` builds every environment of kitchens.config.yaml;
 * `-c config=FILE` picks another config; `-c kitchen=NAME` adds that Kitchen's stack.
 * cdk.json runs the compiled file (dist/bin/app.js, built by `npm ci` / `npm run build`).
 * CDK's built-in CloudFormation validation runs only with CDK_VALIDATION=true (lib/validation.ts).
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../lib/config';
import { NameError } from '../lib/naming';
import { buildApp } from '../lib/app';
import { FEATURE_FLAGS } from '../lib/feature-flags';
import { builtinValidation } from '../lib/validation';

const app = new App({ context: FEATURE_FLAGS, builtinCloudFormationValidation: builtinValidation() });
const file = (app.node.tryGetContext('config') as string | undefined) ?? 'kitchens.config.yaml';
try {
  buildApp(loadConfig(file), {}, app);
} catch (e) {
  // Bad input is reported as one message, before anything is synthesized.
  if (e instanceof ConfigError || e instanceof NameError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
app.synth();
