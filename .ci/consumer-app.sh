#!/usr/bin/env bash
# The library as a user gets it: pack it, create a fresh app with `cdk init app --language typescript`, add the
# files of examples/consumer-app, install the tarball (aws-cdk-lib and constructs are the app's own dependencies),
# type-check with the app's own tsc and skipLibCheck off, synthesize (three environments from YAML, a pipeline
# from the TypeScript builder, Vault/DataLake/Alerts alone; cdk-nag on, under the flags cdk init writes) and run
# the installed `kitchen` command.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== pack"
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)"
files=$(tar -tzf "$tarball")
echo "tarball: $(basename "$tarball"), $(stat -c %s "$tarball") bytes, $(echo "$files" | wc -l) files"
if echo "$files" | grep -E '^package/(test|bench|\.ci|examples|scratch)/|\.map$|\.tsbuildinfo$' ||
  echo "$files" | grep -E '\.ts$' | grep -vE '\.d\.ts$'; then
  echo "the tarball must hold compiled code only: no sources, tests, benches, examples or CI files" >&2
  exit 1
fi

echo "== cdk init app --language typescript"
mkdir "$work/consumer"
cd "$work/consumer"
CDK_DISABLE_VERSION_CHECK=1 "$repo/node_modules/.bin/cdk" init app --language typescript --generate-only --no-notices >/dev/null 2>&1
cp -R "$repo/examples/consumer-app/." .
node -e '
  const fs = require("fs");
  const tsconfig = JSON.parse(fs.readFileSync("tsconfig.json", "utf8"));
  tsconfig.compilerOptions.skipLibCheck = false;
  fs.writeFileSync("tsconfig.json", JSON.stringify(tsconfig, null, 2));
'

echo "== install the tarball"
npm install --prefer-offline --no-audit --no-fund --loglevel=error "$tarball"
node -e 'for (const d of ["aws-cdk-lib", "constructs", "cdk-kitchens"]) console.log(`${d} ${require(`./node_modules/${d}/package.json`).version}`)'

echo "== type-check with the consumer's own tsc (skipLibCheck: false)"
npx tsc --version
npx tsc --noEmit

echo "== synth (the app line cdk init wrote: tsc, then tsx; cdk-nag on, CloudFormation checker off: the repo synth runs it)"
CDK_VALIDATION=false npx cdk synth --quiet --no-notices

node - <<'CHECK'
const fs = require('fs');
const manifest = JSON.parse(fs.readFileSync('cdk.out/manifest.json', 'utf8'));
const stacks = Object.keys(manifest.artifacts).filter((k) => manifest.artifacts[k].type === 'aws:cloudformation:stack');
const template = (name) => JSON.parse(fs.readFileSync(`cdk.out/${name}.template.json`, 'utf8'));
const resources = (t, type) => Object.values(t.Resources).filter((r) => r.Type === type);
const problems = [];
const expect = (ok, what) => { if (!ok) problems.push(what); };
for (const name of ['shop-production', 'shop-staging', 'shop-dev', 'shop-dev-kitchens', 'shop-production-clone-to-dev', 'ConsumerStack']) {
  expect(stacks.includes(name), `stack ${name} (stacks: ${stacks.join(', ')})`);
}
for (const env of ['production', 'staging', 'dev']) {
  const names = resources(template(`shop-${env}`), 'AWS::StepFunctions::StateMachine').map((r) => r.Properties.StateMachineName);
  expect(names.includes(`shop-${env}-daily-totals`), `builder pipeline in shop-${env} (state machines: ${names.join(', ')})`);
}
// The clone setup run ships its Lambda code in the package (lambda/clone-setup): the staged asset holds both handlers.
const cloneExport = template('shop-production-clone-to-dev');
expect(resources(cloneExport, 'Custom::CloneSetup').length === 1, 'the clone setup run (Custom::CloneSetup) in shop-production-clone-to-dev');
for (const fn of resources(cloneExport, 'AWS::Lambda::Function').filter((f) => /^index\.(onEvent|isComplete)$/.test(f.Properties.Handler))) {
  const asset = `cdk.out/asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}/index.js`;
  const entry = fn.Properties.Handler.slice('index.'.length);
  expect(fs.existsSync(asset) && typeof require(`${process.cwd()}/${asset}`)[entry] === 'function', `${entry} in the staged clone setup asset ${asset}`);
}
expect(resources(cloneExport, 'AWS::Lambda::Function').filter((f) => /^index\.(onEvent|isComplete)$/.test(f.Properties.Handler)).length === 2, 'the onEvent and isComplete functions of the clone setup run');
const plain = template('ConsumerStack');
expect(resources(plain, 'AWS::S3::Bucket').length === 4, 'four data lake buckets in ConsumerStack');
expect(resources(plain, 'AWS::SecretsManager::Secret').some((r) => r.Properties.Name === 'ConsumerStack/Vault/apps/partner-api'), 'vault secret named after the scope');
expect(resources(plain, 'AWS::Chatbot::SlackChannelConfiguration').some((r) => r.Properties.ConfigurationName === 'ConsumerStack-Alerts'), 'Slack configuration named after the scope');
expect(JSON.stringify(plain).includes('arn:aws:states:eu-west-1:333333333333:execution:ConsumerStack-*'), 'guardrail ARN rendered with the literal partition arn:aws:');
if (problems.length > 0) {
  console.error(`cloud assembly is missing:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`cloud assembly: ${stacks.length} stacks (${stacks.join(', ')}), cdk-nag clean`);
CHECK

echo "== the installed kitchen command"
test -x node_modules/.bin/kitchen
node_modules/.bin/kitchen --help
