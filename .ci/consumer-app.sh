#!/usr/bin/env bash
# The library as a user gets it, on the versions a user can have. Packs the library once, then runs the consumer
# check on two rows of a compatibility matrix:
#   lowest: the lowest versions the peer ranges allow (aws-cdk-lib 2.276.0, constructs 10.5.1), the repository's CLI;
#   newest: the newest aws-cdk-lib, constructs and cdk-nag the registry serves now (what `cdk init` gives a new user),
#           with the newest 2.x aws-cdk CLI (the `latest` tag once pointed at 3.0.0, which refuses aws-cdk-lib 2.x).
# Each row creates a fresh app with `cdk init app --language typescript`, adds the files of examples/consumer-app
# and the README's "In your own CDK app" file, installs the tarball and the row's versions, type-checks with the
# app's own tsc (skipLibCheck off), synthesizes both apps with a Kitchen (cdk-nag on, under the flags cdk init
# writes) and runs the installed `kitchen` command.
#
# Usage: .ci/consumer-app.sh [lowest|newest ...]   (default: both rows)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(lowest newest)
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
for required in package/LICENSE package/CHANGELOG.md package/README.md package/dist/index.js package/dist/index.d.ts; do
  echo "$files" | grep -qx "$required" || { echo "the tarball lacks $required" >&2; exit 1; }
done
tar -xzOf "$tarball" package/LICENSE | grep -q 'Apache License' && tar -xzOf "$tarball" package/LICENSE | grep -q 'Version 2.0, January 2004' ||
  { echo "package/LICENSE is not the Apache License 2.0 text" >&2; exit 1; }

echo "== npm publish --dry-run (clean: no warning but the one about not being logged in)"
publish_log=$(npm publish --dry-run --ignore-scripts 2>&1)
if echo "$publish_log" | grep -E '^npm (warn|error|ERR)' | grep -v 'requires you to be logged in'; then
  echo "npm publish --dry-run is not clean" >&2
  exit 1
fi

# The README's complete consumer file, between its markers, without the code fence.
readme_snippet() {
  sed -n '/<!-- consumer-snippet:start -->/,/<!-- consumer-snippet:end -->/p' "$repo/README.md" | sed '1,2d;$d' | sed '$d'
}

# The newest 2.x of the aws-cdk CLI that the registry serves.
newest_cli() {
  npm view 'aws-cdk@>=2 <3' version --json | node -e '
    const v = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const list = Array.isArray(v) ? v : [v];
    const key = (s) => s.split(".").map(Number);
    list.sort((a, b) => { const x = key(a), y = key(b); for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i]; return 0; });
    console.log(list[list.length - 1]);'
}

consumer_row() {
  local row=$1 lib constructs_version cli
  case "$row" in
    lowest)
      lib=2.276.0
      constructs_version=10.5.1
      cli=$(node -p 'require("./node_modules/aws-cdk/package.json").version')
      ;;
    newest)
      lib=$(npm view aws-cdk-lib@latest version)
      constructs_version=$(npm view constructs@latest version)
      cli=$(newest_cli)
      ;;
    *)
      echo "unknown matrix row: $row (allowed: lowest, newest)" >&2
      return 2
      ;;
  esac
  echo
  echo "==== matrix row $row: aws-cdk-lib $lib, constructs $constructs_version, aws-cdk CLI $cli"
  local dir="$work/$row/consumer"
  mkdir -p "$dir"
  cd "$dir"
  echo "== cdk init app --language typescript (aws-cdk $cli)"
  CDK_DISABLE_VERSION_CHECK=1 npx --yes "aws-cdk@$cli" init app --language typescript --generate-only --no-notices >/dev/null 2>&1
  cp -R "$repo/examples/consumer-app/." .
  readme_snippet >bin/readme-snippet.ts
  grep -q "buildApp(loadConfig('kitchens.config.yaml')" bin/readme-snippet.ts ||
    { echo "README.md: the consumer-snippet markers do not enclose the consumer file" >&2; return 1; }
  node -e '
    const fs = require("fs");
    const tsconfig = JSON.parse(fs.readFileSync("tsconfig.json", "utf8"));
    tsconfig.compilerOptions.skipLibCheck = false;
    fs.writeFileSync("tsconfig.json", JSON.stringify(tsconfig, null, 2));
  '

  echo "== install the tarball and the row's versions"
  npm install --prefer-offline --no-audit --no-fund --loglevel=error \
    "$tarball" "aws-cdk-lib@$lib" "constructs@$constructs_version" "aws-cdk@$cli"
  node -e '
    const v = (d) => require(`./node_modules/${d}/package.json`).version;
    const nag = require.resolve("cdk-nag/package.json", { paths: [require.resolve("cdk-kitchens")] });
    console.log(`resolved: aws-cdk-lib ${v("aws-cdk-lib")}, constructs ${v("constructs")}, cdk-nag ${require(nag).version}, ` +
      `aws-cdk ${v("aws-cdk")}, typescript ${v("typescript")}, cdk-kitchens ${v("cdk-kitchens")}, node ${process.version}`);
  '
  [ "$(node -p 'require("./node_modules/aws-cdk-lib/package.json").version')" = "$lib" ] ||
    { echo "aws-cdk-lib did not resolve to $lib" >&2; return 1; }

  echo "== type-check with the consumer's own tsc (skipLibCheck: false), the README file included"
  npx tsc --version
  npx tsc --noEmit

  echo "== synth examples/consumer-app with a Kitchen (cdk-nag on, CloudFormation checker off: the repo synth runs it)"
  CDK_VALIDATION=false npx cdk synth --quiet --no-notices -c kitchen=try-it
  node "$repo/.ci/consumer-assembly-check.js" cdk.out consumer

  echo "== synth the README's file with a Kitchen"
  CDK_VALIDATION=false npx cdk synth --quiet --no-notices --app 'npx tsx bin/readme-snippet.ts' -o cdk.out.readme -c kitchen=try-it
  node "$repo/.ci/consumer-assembly-check.js" cdk.out.readme readme

  echo "== the installed kitchen command"
  test -x node_modules/.bin/kitchen
  node_modules/.bin/kitchen --help >/dev/null
  [ "$(node_modules/.bin/kitchen --version)" = "$(node -p 'require("./node_modules/cdk-kitchens/package.json").version')" ] ||
    { echo "kitchen --version does not print the installed version" >&2; return 1; }
  if [ "$row" = newest ]; then
    echo "== the installed kitchen command on the user's own app (.ci/consumer-cli.sh)"
    "$repo/.ci/consumer-cli.sh" "$dir"
  fi
  echo "matrix row $row passed: aws-cdk-lib $lib, constructs $constructs_version, aws-cdk $cli"
  cd "$repo"
}

for row in "${rows[@]}"; do
  consumer_row "$row"
done
