#!/usr/bin/env bash
# Installs what Waflow needs and is missing: npm dependencies and the embedded servers
# (Temporal CLI dev server, FerretDB), built from the Go module proxy at pinned versions and
# cached outside the clone. Safe to run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_CLI_VERSION=v1.5.1
FERRETDB_VERSION=v1.24.2
CACHE_DIR="${WAFLOW_CACHE_DIR:-$HOME/.cache/waflow}"
BIN_DIR="$CACHE_DIR/bin"
mkdir -p "$BIN_DIR"

log() { printf '\033[36m[setup]\033[0m %s\n' "$*" >&2; }

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.waflow-lock-sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  log "installing npm dependencies"
  # Not `npm ci`: the lock records only the platform builds the registry served, and
  # `npm ci` rejects a lock without every optional platform package; install follows the lock.
  npm install --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

need_go() {
  command -v go >/dev/null 2>&1 || {
    echo "Go is needed once to build $1 (or set ${2} to use an existing server)." >&2
    exit 1
  }
}

# go install, into a temporary GOBIN first so an interrupted build never leaves a half binary.
if [ -z "${TEMPORAL_ADDRESS:-}" ] && [ ! -x "$BIN_DIR/temporal-$TEMPORAL_CLI_VERSION" ]; then
  need_go "the Temporal dev server" TEMPORAL_ADDRESS
  log "building temporal $TEMPORAL_CLI_VERSION (first run only, a few minutes)"
  tmp=$(mktemp -d)
  GOBIN="$tmp" GOFLAGS=-buildvcs=false go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
  mv "$tmp/temporal" "$BIN_DIR/temporal-$TEMPORAL_CLI_VERSION"
  rm -rf "$tmp"
fi

# FerretDB's module path has no version suffix and the proxy refuses its version list, which
# `go install pkg@version` asks for; downloading the exact version and building it works.
if [ -z "${MONGODB_URI:-}" ] && [ ! -x "$BIN_DIR/ferretdb-$FERRETDB_VERSION" ]; then
  need_go "FerretDB" MONGODB_URI
  log "building ferretdb $FERRETDB_VERSION (first run only, a few minutes)"
  src=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  tmp=$(mktemp -d)
  # Its version file is generated from git in its own repository; the module zip has none.
  cp -r "$src" "$tmp/src" && chmod -R u+w "$tmp/src"
  echo "$FERRETDB_VERSION" > "$tmp/src/build/version/version.txt"
  (cd "$tmp/src" && GOFLAGS=-buildvcs=false go build -o "$tmp/ferretdb" ./cmd/ferretdb)
  mv "$tmp/ferretdb" "$BIN_DIR/ferretdb-$FERRETDB_VERSION"
  rm -rf "$tmp"
fi

# Stable names for the code that starts them.
[ -x "$BIN_DIR/temporal-$TEMPORAL_CLI_VERSION" ] && ln -sfn "temporal-$TEMPORAL_CLI_VERSION" "$BIN_DIR/temporal"
[ -x "$BIN_DIR/ferretdb-$FERRETDB_VERSION" ] && ln -sfn "ferretdb-$FERRETDB_VERSION" "$BIN_DIR/ferretdb"
exit 0
