#!/usr/bin/env bash
# Starts Waflow for development: installs what is missing, builds, then runs the embedded
# servers (unless TEMPORAL_ADDRESS / DATABASE_URL / MONGODB_URI are set), the worker and the API.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build >/dev/null
# isolated-vm (custom actions) needs the startup snapshot off on Node 20+.
exec node --no-node-snapshot dist/scripts/dev.js
