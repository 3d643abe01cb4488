# One image for every Tollgate service; docker-compose.yml picks the role with
# the command (`serve --role ingest`, `serve --role rater`, `migrate`, …).
# Debian 12 (bookworm) because the uWebSockets.js build Tollgate uses needs its
# glibc (DESIGN §10). TypeScript runs through tsx, as in development: no
# separate compile step whose output could drift from the tested sources.

# --- dependencies: production packages only, no install scripts ------------
# Install scripts are skipped: they build node-rdkafka's librdkafka and the
# mock broker launcher (scripts/build-kafka-mock.mjs), which only local
# development and tests use; the services talk to a real Kafka with kafkajs.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` rather than `npm ci`: the lock file cannot list chdb's optional
# engines for other platforms (see .ci/run); the locked versions still apply.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# --- runtime ------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    TOLLGATE_HTTP_HOST=0.0.0.0 \
    TOLLGATE_HTTP_PORT=8080 \
    TOLLGATE_AUTH_MODE=required
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
# Sources are owned by root and read-only for the service user.
COPY --chown=root:root package.json tsconfig.json ./
COPY --chown=root:root platform ./platform
COPY --chown=root:root schemas ./schemas
COPY --chown=root:root ingest ./ingest
COPY --chown=root:root rater ./rater
COPY --chown=root:root ledger ./ledger
COPY --chown=root:root invoicer ./invoicer
COPY --chown=root:root router-gateway ./router-gateway
COPY --chown=root:root ops ./ops
COPY --chown=root:root cli ./cli
COPY --chown=root:root scripts ./scripts
# The unprivileged user of the official Node image (uid 1000).
USER node
EXPOSE 8080
# /healthz answers while the process runs; readiness (/readyz) is for load balancers.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TOLLGATE_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--import", "tsx", "cli/tollgate.ts"]
CMD ["serve", "--role", "all"]
