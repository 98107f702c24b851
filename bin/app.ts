#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` builds every environment of kitchens.config.yaml;
 * `-c config=FILE` picks another config; `-c kitchen=NAME` adds that Kitchen's stack.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../lib/config';
import { NameError } from '../lib/naming';
import { buildApp } from '../lib/app';
import { FEATURE_FLAGS } from '../lib/feature-flags';

const app = new App({ context: FEATURE_FLAGS });
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
