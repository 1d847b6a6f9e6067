#!/usr/bin/env bash
# Starts Waflow for development: installs what is missing, builds, then runs the embedded
# servers (unless TEMPORAL_ADDRESS / DATABASE_URL / MONGODB_URI are set), the worker and the API.
# `--topology`: the real Temporal server on PostgreSQL, two APIs and two workers (README).
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 24 first on the PATH (fetched when the machine's is older): the processes run on it.
source scripts/node.sh
waflow_use_node
bash scripts/setup.sh
npm run --silent build >/dev/null
# isolated-vm (custom actions) needs the startup snapshot off.
exec node --no-node-snapshot dist/scripts/dev.js "$@"
