#!/usr/bin/env bash
# Compiles src/ to dist/ (plain JavaScript, same layout) for the launchers,
# and bundles the CLI with its loader (scripts/bundle-cli.ts: dist/berth-cli.js,
# dist/chunks/, one script per command in dist/cmd/, dist/berth.cjs), which
# bin/berth runs.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
rm -rf dist.tmp
# Type errors are reported by the type-check step of the tests, not here.
node_modules/.bin/tsc -p tsconfig.build.json --outDir dist.tmp >/dev/null || true
[ -f dist.tmp/src/daemon/main.js ] && [ -f dist.tmp/src/cli/main.js ] || { echo "build: compilation produced no output" >&2; exit 1; }
bin/node24 --disable-warning=ExperimentalWarning scripts/bundle-cli.ts dist.tmp >/dev/null
touch dist.tmp/.stamp
rm -rf dist && mv dist.tmp dist
echo "build: ok"
