# syntax=docker/dockerfile:1
# svcbot container image: `docker build -t svcbot .`
# Two stages: the build stage compiles TypeScript with all dependencies; the runtime stage has
# production dependencies and the compiled product only (dist/src, dist/handlers, dist/jobs: not the
# sandbox or the benchmarks, nor the libraries only they use, which are dev dependencies).
#
# The base: Node 24, the Active LTS line (security fixes until April 2028), Debian bookworm, pinned by
# digest so that a rebuild gets the same bytes, never a re-tagged image. To move to a newer patch
# release, take the digest of the multi-platform index:
#   docker buildx imagetools inspect node:24-bookworm-slim --format '{{json .Manifest.Digest}}'
# and replace NODE_IMAGE below (the tag stays for the reader; with a digest Docker uses the digest).
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# ---- build -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so they stay cached while only sources change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# The sources (what .dockerignore lets through: src/, handlers/, jobs/, sandbox/, bench/ and the tsconfigs).
COPY . .
RUN npm run build

# ---- runtime -----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# A heap budget for V8. Without one, V8 sizes the heap from the machine's memory and lets it grow far past
# what is live before it collects: bench/inflight measured a worker with 10,000 load-balancer jobs in
# flight at 790-910 MB RSS with ~80 MB live; with this budget, 226 MB. ~8 KB live per job in flight:
# raise it (and the pod's memory limit) for more than ~20,000 at once per worker.
ENV NODE_OPTIONS=--max-old-space-size=192
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/handlers ./dist/handlers
COPY --from=build /app/dist/jobs ./dist/jobs
# Files stay owned by root (read-only for the app); run as the image's `node` user, by number so
# Kubernetes can verify `runAsNonRoot: true`.
USER 1000:1000
EXPOSE 3000
# Node is PID 1: no init wrapper. svcbot's CLI handles SIGTERM/SIGINT itself (stops the app once,
# exits 0; gives up with exit 1 after 10 s), so `docker stop` and pod termination shut it down cleanly.
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["start"]
