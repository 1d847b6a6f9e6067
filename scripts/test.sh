#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, type-checks, lints, then runs jest,
# whose global setup starts a real PostgreSQL, FerretDB and Temporal dev server on free ports.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 24 first on the PATH (fetched when the machine's is older): tsc, eslint and jest run on it.
source scripts/node.sh
waflow_use_node
bash scripts/setup.sh --test-tools
step() { printf '\033[36m[test]\033[0m %s\n' "$*"; }
step "build"
npm run --silent build >/dev/null
step "typecheck"
npx tsc --noEmit
step "layers (no upward import, no cycle)"
npm run --silent deps
step "lint"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
step "jest"
# isolated-vm (custom actions) needs the startup snapshot off, in every process.
NODE_OPTIONS="--no-node-snapshot ${NODE_OPTIONS:-}" npx jest --ci "$@"
