#!/usr/bin/env bash
# docs/api.md is generated from the code's TSDoc by TypeDoc (typedoc.json); fail when it is out of date.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npx typedoc --logLevel Warn --out "$out"
if ! diff -u docs/api.md "$out/api.md" >"$out/diff"; then
  head -n 60 "$out/diff"
  echo "docs/api.md is out of date: run npm run docs:api and commit the result" >&2
  exit 1
fi
echo "docs/api.md is up to date"
