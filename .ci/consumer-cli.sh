#!/usr/bin/env bash
# The installed `kitchen` command on a user's own CDK app (issue 21), run inside the consumer app that
# .ci/consumer-app.sh builds (cdk init app + examples/consumer-app + `npm install <tarball>`):
#   .ci/consumer-cli.sh CONSUMER_DIR
# Checks, with node_modules/.bin/kitchen and the app's own cdk.json:
#   1. `kitchen create try-it --dry-run` builds the Kitchen stack `cdk synth -c kitchen=try-it` builds (same context):
#      same resource count, the builder pipeline's state machines in it;
#   2. `kitchen run daily-totals --local` runs the pipeline the app defines only in code (PipelineBuilder), on
#      PostgreSQL: $KITCHENS_PG_URL when set, else a private cluster started here (PostgreSQL server binaries needed);
#   3. failures: no cdk.json, an app that does not run, an app that fails to synthesize, a bad argument (exit code 2,
#      the app named with how it was found, the app's own first error lines).
set -euo pipefail
consumer=$(cd "${1:?usage: .ci/consumer-cli.sh CONSUMER_DIR}" && pwd)
cd "$consumer"
kitchen="$consumer/node_modules/.bin/kitchen"
test -x "$kitchen" || { echo "no installed kitchen command in $consumer/node_modules/.bin" >&2; exit 1; }
work=$(mktemp -d)
pg_dir=""
# as_postgres COMMAND...: the PostgreSQL server refuses to run as root
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
  if [ -f "$work/cdk.json" ]; then cp "$work/cdk.json" "$consumer/cdk.json"; fi
  rm -f "$consumer/bin/ci-broken-app.ts"
  if [ -n "$pg_dir" ]; then as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work" "$pg_dir"
}
trap cleanup EXIT
export CDK_DISABLE_VERSION_CHECK=true CDK_DISABLE_CLI_TELEMETRY=true

fail() {
  echo "consumer-cli: $*" >&2
  exit 1
}

# expect_failure NAME CODE PATTERN... -- COMMAND...: COMMAND exits with CODE and its stderr holds every PATTERN.
expect_failure() {
  local name=$1 code=$2
  shift 2
  local patterns=()
  while [ "$1" != "--" ]; do
    patterns+=("$1")
    shift
  done
  shift
  local got=0
  "$@" >"$work/out" 2>"$work/err" || got=$?
  [ "$got" = "$code" ] || fail "$name: exit code $got, expected $code; stderr:
$(cat "$work/err")"
  for pattern in "${patterns[@]}"; do
    grep -qF -- "$pattern" "$work/err" || fail "$name: stderr lacks \"$pattern\"; stderr:
$(cat "$work/err")"
  done
  echo "ok: $name (exit $got): $(grep -m1 '^error:' "$work/err")"
}

echo "== kitchen create try-it --dry-run against cdk synth -c kitchen=try-it (the app of $consumer/cdk.json)"
"$kitchen" --json create try-it --dry-run --owner ci >"$work/create.json"
context=$(node -e 'const r = require(process.argv[1]); console.log(Object.entries(r.context).map(([k, v]) => `-c ${k}=${v}`).join(" "))' "$work/create.json")
# shellcheck disable=SC2086 # context holds -c KEY=VALUE words without spaces
npx cdk synth --quiet --no-notices -o "$work/cdk.out" $context >/dev/null
node - "$work/create.json" "$work/cdk.out" <<'CHECK'
const fs = require('fs');
const [created, out] = process.argv.slice(2);
const result = JSON.parse(fs.readFileSync(created, 'utf8'));
const template = JSON.parse(fs.readFileSync(`${out}/${result.stackName}.template.json`, 'utf8'));
const resources = Object.values(template.Resources);
// the pipelines are nested stacks: their machines are read through the installed library's reader, as a user would
const { readAssemblyTemplate } = require(require.resolve('cdk-kitchens', { paths: [process.cwd()] }));
const folded = Object.values(readAssemblyTemplate(out, `${result.stackName}.template.json`).Resources);
const machines = folded.filter((r) => r.Type === 'AWS::StepFunctions::StateMachine').map((r) => r.Properties.StateMachineName);
const problems = [];
if (result.resourceCount !== resources.length) {
  problems.push(`kitchen create --dry-run counted ${result.resourceCount} resources, cdk synth built ${resources.length}`);
}
if (!machines.includes('shop-dev-try-it-daily-totals')) {
  problems.push(`the builder pipeline daily-totals is not in the Kitchen stack (state machines: ${machines.join(', ')})`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`ok: ${result.stackName}: kitchen create --dry-run ${result.resourceCount} resources = cdk synth ${resources.length} resources (state machines: ${machines.join(', ')})`);
CHECK

echo "== kitchen run daily-totals --local (a pipeline defined only in code)"
if [ -z "${KITCHENS_PG_URL:-}" ]; then
  pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)")
  [ -x "$pg_bin/initdb" ] || fail "set KITCHENS_PG_URL or install the PostgreSQL server binaries (initdb, pg_ctl)"
  pg_dir=$(mktemp -d)
  if [ "$(id -u)" = 0 ]; then chown postgres "$pg_dir"; fi
  port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
  as_postgres "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust >/dev/null
  as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1" start >/dev/null
  export KITCHENS_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
fi
schema=k_ci_cli
node - <<SQL
const { Client } = require('$consumer/node_modules/pg');
const client = new Client({ connectionString: process.env.KITCHENS_PG_URL });
(async () => {
  await client.connect();
  await client.query('DROP SCHEMA IF EXISTS $schema CASCADE');
  await client.query('CREATE SCHEMA $schema');
  await client.query('CREATE TABLE $schema.orders (order_date date, amount numeric(12, 2))');
  await client.query('CREATE TABLE $schema.daily_totals (order_date date, total numeric(12, 2))');
  await client.query("INSERT INTO $schema.orders VALUES ('2026-05-01', 10), ('2026-05-01', 5), ('2026-05-02', 7.5)");
  await client.end();
})().catch((e) => { console.error(e.message); process.exit(1); });
SQL
cat >"$work/publish.js" <<'JS'
require('fs').writeFileSync(process.env.PUBLISHED ?? 'published.json', JSON.stringify(process.argv.slice(2)));
JS
PUBLISHED="$work/published.json" "$kitchen" run daily-totals --local --kitchen ci-cli --data-lake "$work/lake" \
  --app-command "report=node $work/publish.js" >"$work/run.out"
cat "$work/run.out"
grep -qx 'PASS  sum-orders / daily totals row count: 2 (expected >= 1) \[error\]' "$work/run.out" ||
  fail "kitchen run --local: the test of daily-totals did not pass with 2 daily totals"
grep -qx 'pipeline daily-totals succeeded: 1 tests, 0 failed, 0 errored, 0 alerts' "$work/run.out" ||
  fail "kitchen run --local: daily-totals did not succeed"
test -f "$work/published.json" || fail "kitchen run --local: the publish step (app report) did not run"
echo "ok: kitchen run daily-totals --local"

echo "== failures"
mkdir "$work/empty"
expect_failure "no cdk.json and no --app" 2 \
  "error: no CDK app to read: there is no cdk.json in $work/empty and no --app was given" -- \
  bash -c "cd '$work/empty' && '$kitchen' -c '$consumer/kitchens.config.yaml' create try-it --dry-run --owner ci"
expect_failure "an --app command that does not run" 2 \
  'error: the app "node bin/no-such-app.js" (--app) failed to synthesize in' "Cannot find module" -- \
  "$kitchen" --app "node bin/no-such-app.js" create try-it --dry-run --owner ci
printf "import { loadConfig } from 'cdk-kitchens';\nloadConfig('missing.config.yaml');\n" >bin/ci-broken-app.ts
expect_failure "an app that fails to synthesize" 2 \
  'error: the app "npx tsx bin/ci-broken-app.ts" (--app) failed to synthesize in' \
  "missing.config.yaml: config file not found" -- \
  "$kitchen" --app "npx tsx bin/ci-broken-app.ts" create try-it --dry-run --owner ci
rm -f bin/ci-broken-app.ts
cp cdk.json "$work/cdk.json"
node -e 'const fs = require("fs"); const j = JSON.parse(fs.readFileSync("cdk.json", "utf8")); j.app = "node bin/not-here.js"; fs.writeFileSync("cdk.json", JSON.stringify(j))'
expect_failure "the cdk.json app does not run" 2 \
  "error: the app \"node bin/not-here.js\" (the \"app\" of $consumer/cdk.json) failed to synthesize" -- \
  "$kitchen" run daily-totals --local --kitchen ci-cli
cp "$work/cdk.json" cdk.json
rm "$work/cdk.json"
expect_failure "a bad argument (before any synth)" 2 'error: Kitchen name "X"' -- \
  "$kitchen" create X --dry-run
echo "consumer-cli: every check passed"
