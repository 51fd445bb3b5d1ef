# syntax=docker/dockerfile:1
# cadf-exporter: multi-stage build on Node 24 LTS (Alpine). The runtime image holds the compiled
# JavaScript, the production dependencies and config/, and runs as the unprivileged user "node".
#   docker build -t cadf-exporter .
#   docker run --rm -p 9464:9464 -e CADF_AMQP_URL=amqp://user:pass@rabbit:5672/ cadf-exporter
# The same image runs the traffic simulator: docker run --rm cadf-exporter node dist/cli.js simulate --help

ARG NODE_IMAGE=node:24-alpine

# Production dependencies only.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# Compile TypeScript with the dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE}
# A 96 MB old generation and 8 MB semi-spaces keep RSS under 150 MB however long the backlog
# (npm start runs with the same flags), for about a quarter more CPU than no limit
# (docs/performance.md, "V8's heap flags"); raise or drop them to trade memory for throughput.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=96 --max-semi-space-size=8" \
    CADF_METRICS_HOST=0.0.0.0 \
    CADF_METRICS_PORT=9464 \
    CADF_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY scripts/healthcheck.mjs ./healthcheck.mjs
# The name memory (names.jsonl) lives in /data: mount a volume there to keep it across restarts.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 9464
# Ready = connected to RabbitMQ and consuming. With a web config (TLS, basic auth) set
# CADF_HEALTHCHECK_SCHEME=https and CADF_HEALTHCHECK_AUTH=user:password (docs/metrics-security.md).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "healthcheck.mjs"]
CMD ["node", "dist/cli.js", "run"]
