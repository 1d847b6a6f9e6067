#!/usr/bin/env bash
# The Node.js that Waflow runs under: the machine's own when it is Node 24 or newer, else
# Node $WAFLOW_NODE_VERSION from the npm registry package node-<platform>-<arch> (it holds
# bin/node, and include/node for node-gyp), cached outside the clone. Sourced by setup.sh,
# test.sh and start.sh, which then find it first on the PATH (npm and npx included: they run
# under whichever node comes first). Run on its own, it prints the path of the chosen node.

WAFLOW_NODE_MAJOR=24
WAFLOW_NODE_VERSION=24.22.3

waflow_node_major() {
  "${1:-node}" -v 2>/dev/null | sed -n 's/^v\([0-9][0-9]*\)\..*/\1/p'
}

waflow_use_node() {
  local major
  major=$(waflow_node_major)
  [ -n "$major" ] && [ "$major" -ge "$WAFLOW_NODE_MAJOR" ] && return 0

  local cache="${WAFLOW_CACHE_DIR:-$HOME/.cache/waflow}"
  local dir="$cache/node-v$WAFLOW_NODE_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    command -v npm >/dev/null 2>&1 || {
      echo "Node.js and npm are needed to fetch Node $WAFLOW_NODE_MAJOR (or put Node $WAFLOW_NODE_MAJOR+ on the PATH)." >&2
      return 1
    }
    local pkg tmp
    pkg="node-$(node -p 'process.platform + "-" + process.arch')@$WAFLOW_NODE_VERSION"
    printf '\033[36m[setup]\033[0m %s\n' "fetching Node $WAFLOW_NODE_VERSION ($pkg, first run only)" >&2
    mkdir -p "$cache"
    # Unpacked in a temporary folder in the cache, then renamed into place in one step.
    tmp=$(mktemp -d "$cache/.node.XXXXXX")
    if ! (cd "$tmp" && npm pack --silent --loglevel=error "$pkg" >/dev/null &&
      tar -xzf ./*.tgz && chmod 755 package/bin/node && mv package "$dir"); then
      rm -rf "$tmp"
      echo "Fetching $pkg from the npm registry failed." >&2
      return 1
    fi
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  # Native addons without a prebuilt binary compile against this Node's headers.
  export npm_config_nodedir="$dir"
  major=$(waflow_node_major)
  [ "$major" = "$WAFLOW_NODE_MAJOR" ] || {
    echo "$dir/bin/node does not run as Node $WAFLOW_NODE_MAJOR." >&2
    return 1
  }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  waflow_use_node
  command -v node
fi
