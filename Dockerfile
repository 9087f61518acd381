# syntax=docker/dockerfile:1
# One image for every coknight command: `learner`, `actor` (and `train`, `eval`, ...). The entry
# point is the CLI; Kubernetes (deploy/k8s) passes the sub-command and its flags as args. Build for
# devices and servers at once (docs/deploy.md):
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/coknight:0.1.0 --push .
ARG NODE_IMAGE=node:20-slim

# Build stage: the full install, then tsc. It runs on the build machine's own platform (dist/ is
# plain JavaScript, the same for every target), so a cross build does not emulate the compiler.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (tsc) needs the sources, which are not copied yet; native packages
# ship their prebuilt binaries, so no install script is needed (as with npm 11's defaults).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies for the target platform, the compiled CLI, the wasm cores.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY configs ./configs
COPY web/build ./web/build
# The Stella core (GPL-2.0-or-later, see its LICENSE) and the project's own ROMs; tfjs's wasm
# binaries come with @tensorflow/tfjs-backend-wasm in node_modules.
COPY packages/ale-wasm/package.json packages/ale-wasm/LICENSE packages/ale-wasm/COPYRIGHT.stella-debian ./packages/ale-wasm/
COPY packages/ale-wasm/wasm ./packages/ale-wasm/wasm
COPY packages/ale-wasm/test-roms/*.bin ./packages/ale-wasm/test-roms/
# The image's `node` user (uid 1000), numeric so that Kubernetes' runAsNonRoot can check it; /data
# holds run directories (checkpoints): mount a volume there.
RUN mkdir -p /data && chown 1000:1000 /data
USER 1000:1000
VOLUME ["/data"]
# 8686: gRPC (actors); 9464: /metrics and the dashboard. ZeroMQ binds ephemeral ports beside them
# (reach the learner by its pod address: a headless Service).
EXPOSE 8686 9464
# Probes the learner's /metrics ($COKNIGHT_HEALTH_URL, default http://127.0.0.1:9464/metrics);
# actors serve no HTTP: run them with COKNIGHT_HEALTH_URL=none (or --no-healthcheck).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 CMD ["node", "/app/dist/cli/healthcheck.js"]
ENTRYPOINT ["node", "/app/bin/coknight.js"]
CMD ["--help"]
