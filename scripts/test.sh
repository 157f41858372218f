#!/usr/bin/env bash
# The one entry point for every check: install, type-check, lint, unit,
# integration (root) and compatibility (real docker CLI) tests.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
bash scripts/setup.sh --dev
# setup.sh has just compiled src/ to dist/: bin/berth skips its staleness walk.
export BERTH_PREBUILT=1
node=bin/node24
export PATH="$PWD/node_modules/.bin:$PATH"

echo "== type-check"; node_modules/.bin/tsc --noEmit -p .
echo "== lint"; node_modules/.bin/eslint src test bench stress

suites=("test/unit/**/*.test.ts")
if [ "$(id -u)" = 0 ]; then
  suites+=("test/integration/**/*.test.ts" "test/compat/**/*.test.ts")
else
  echo "== not root: integration and compatibility suites skipped (they need mounts and namespaces)"
fi
echo "== tests"
exec "$node" --disable-warning=ExperimentalWarning --test --test-concurrency=1 --test-timeout=300000 "${suites[@]}"
