# syntax=docker/dockerfile:1
#
# One image for both Waflow processes:
#   api     node dist/api/server.js   (default command)
#   worker  node --no-node-snapshot --max-old-space-size=384 dist/worker/main.js
#   migrate node dist/scripts/cli.js db:migrate
#
# Debian (glibc), not Alpine: the Temporal worker's native core bridge ships glibc builds only.
# Production configuration comes from the environment (see lib/config.ts); ENCRYPTION_KEY,
# METRICS_TOKEN, DATABASE_URL (or WAFLOW_STORE=mongo with MONGODB_URI) and TEMPORAL_ADDRESS are
# required there, each secret also as NAME_FILE (a Docker secret). docker-compose.yml wires a
# full stack.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Toolchain for native addons that have no prebuilt binary for this platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

COPY package.json package-lock.json ./
# Exactly the lock: it records every platform's optional builds (esbuild, swc...), so it
# installs on amd64 and arm64 alike.
RUN npm ci --no-audit --no-fund

COPY . .
# tsc to dist/ (with the PostgreSQL migrations), then the prebundled workflow code
# (dist/workflow-bundle.js) so the worker starts without webpack; then drop devDependencies and the core bridge's macOS/Windows builds.
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/@temporalio/core-bridge/releases/*-apple-darwin \
            node_modules/@temporalio/core-bridge/releases/*-windows-*

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# isolated-vm (custom actions) needs the startup snapshot off, in every process.
ENV NODE_OPTIONS=--no-node-snapshot
# Fewer malloc arenas: the worker's many threads would each keep freed memory.
ENV MALLOC_ARENA_MAX=2
WORKDIR /app

# Owned by root and read-only to the app user: the processes never write their own code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

USER node
# The API; the worker's health and metrics (WORKER_PORT).
EXPOSE 3000 3001

# Liveness of the API (/api/health). Compose gives the worker its own probe (/health on 3001).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "--no-node-snapshot", "dist/api/server.js"]
