#!/usr/bin/env node
// Checks a consumer app's cloud assembly as the toolkit hands it to CloudFormation (manifest.json and templates).
// Usage: node consumer-assembly-check.js ASSEMBLY_DIR consumer|readme   (run in the consumer app's directory)
'use strict';
const fs = require('fs');
const path = require('path');

const [dir, kind] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
const stacks = Object.keys(manifest.artifacts).filter((k) => manifest.artifacts[k].type === 'aws:cloudformation:stack');
const template = (name) => JSON.parse(fs.readFileSync(path.join(dir, `${name}.template.json`), 'utf8'));
// Pipelines are nested stacks with stored definitions: read them as a user does, through the installed library's reader.
const kitchens = require(require.resolve('cdk-kitchens', { paths: [process.cwd()] }));
const folded = (name) => kitchens.readAssemblyTemplate(dir, `${name}.template.json`);
const resources = (t, type) => Object.values(t.Resources).filter((r) => r.Type === type);
const problems = [];
const expect = (ok, what) => {
  if (!ok) problems.push(what);
};

const library = ['shop-production', 'shop-staging', 'shop-dev', 'shop-dev-kitchens', 'shop-production-clone-to-dev'];
const own = kind === 'consumer' ? ['ConsumerStack', 'TeamStack'] : ['Analytics'];
for (const name of [...library, 'shop-dev-kitchen-try-it', ...own]) {
  expect(stacks.includes(name), `stack ${name} (stacks: ${stacks.join(', ')})`);
}
// The Kitchen's stack tags are in the manifest, where the toolkit reads them.
const kitchenTags = manifest.artifacts['shop-dev-kitchen-try-it']?.properties?.tags ?? {};
expect(
  Object.values(kitchenTags).includes('try-it'),
  `a tag naming the Kitchen try-it (tags: ${JSON.stringify(kitchenTags)})`,
);

// Every Lambda function of the library runs on the newest Node.js runtime the installed aws-cdk-lib knows.
const lambda = require(require.resolve('aws-cdk-lib/aws-lambda', { paths: [process.cwd()] }));
const majors = lambda.Runtime.ALL.map((r) => /^nodejs(\d+)\.x$/.exec(r.name))
  .filter(Boolean)
  .map((m) => Number(m[1]));
const newest = `nodejs${Math.max(...majors)}.x`;
const runtimes = new Set();
for (const name of [...library, 'shop-dev-kitchen-try-it']) {
  for (const fn of resources(folded(name), 'AWS::Lambda::Function')) runtimes.add(fn.Properties.Runtime);
}
expect(
  runtimes.size === 1 && runtimes.has(newest),
  `every library function on ${newest} (found: ${[...runtimes].join(', ')})`,
);

if (kind === 'consumer') {
  for (const env of ['production', 'staging', 'dev']) {
    const names = resources(folded(`shop-${env}`), 'AWS::StepFunctions::StateMachine').map(
      (r) => r.Properties.StateMachineName,
    );
    expect(
      names.includes(`shop-${env}-daily-totals`),
      `builder pipeline in shop-${env} (state machines: ${names.join(', ')})`,
    );
  }
  // The clone setup run and the hash-key drop ship their Lambda code in the package (lambda/clone-setup,
  // lambda/clone-key): each staged asset holds the handler its function names.
  const cloneExport = template('shop-production-clone-to-dev');
  expect(resources(cloneExport, 'Custom::CloneSetup').length === 1, 'the clone setup run (Custom::CloneSetup)');
  const setup = resources(cloneExport, 'AWS::Lambda::Function').filter((f) =>
    /^index\.(onEvent|isComplete|handler)$/.test(f.Properties.Handler),
  );
  expect(setup.length === 3, 'the onEvent and isComplete functions of the clone setup run and the hash-key function');
  for (const fn of setup) {
    const asset = path.resolve(dir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.js');
    const entry = fn.Properties.Handler.slice('index.'.length);
    expect(
      fs.existsSync(asset) && typeof require(asset)[entry] === 'function',
      `${entry} in the staged asset ${asset}`,
    );
  }
  const plain = template('ConsumerStack');
  expect(resources(plain, 'AWS::S3::Bucket').length === 4, 'four data lake buckets in ConsumerStack');
  expect(
    resources(plain, 'AWS::SecretsManager::Secret').some(
      (r) => r.Properties.Name === 'ConsumerStack/Vault/apps/partner-api',
    ),
    'vault secret named after the scope',
  );
  expect(
    resources(plain, 'AWS::Chatbot::SlackChannelConfiguration').some(
      (r) => r.Properties.ConfigurationName === 'ConsumerStack-Alerts',
    ),
    'Slack configuration named after the scope',
  );
  expect(
    JSON.stringify(plain).includes('arn:aws:states:eu-west-1:333333333333:execution:ConsumerStack-*'),
    'guardrail ARN rendered with the literal partition arn:aws:',
  );
  // The team's own stack holds a bucket cdk-nag flags (S1, S10); the synth passed, so the library's checks left it alone.
  expect(resources(template('TeamStack'), 'AWS::S3::Bucket').length === 1, 'the bucket of TeamStack');
} else {
  const analytics = template('Analytics');
  expect(resources(analytics, 'AWS::KMS::Key').length >= 1, 'the vault key in Analytics');
  expect(
    resources(analytics, 'AWS::Chatbot::SlackChannelConfiguration').length === 1,
    'the Slack configuration in Analytics',
  );
  const machines = resources(folded('shop-dev'), 'AWS::StepFunctions::StateMachine').map(
    (r) => r.Properties.StateMachineName,
  );
  expect(
    machines.includes('shop-dev-daily-totals'),
    `the README's builder pipeline in shop-dev (${machines.join(', ')})`,
  );
}

if (problems.length > 0) {
  console.error(`cloud assembly ${dir} is missing:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `cloud assembly ${dir}: ${stacks.length} stacks (${stacks.join(', ')}), functions on ${newest}, cdk-nag clean`,
);
