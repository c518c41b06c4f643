# One image for the init step, the API, the worker and both services; docker-compose.yml picks the
# command. The build stage compiles with every dependency; the final stage holds the compiled dist/,
# production dependencies only (no TypeScript tooling, no embedded PostgreSQL binaries, no local Stripe)
# and runs as the unprivileged `node` user. The local Stripe is the `stripe-local` target, for compose.
FROM node:24.22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY services/stripe-local/package.json ./services/stripe-local/
# Paygraph's own postinstall (prisma generate) needs the sources, so it runs below, after the copy.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run generate && npm run build

# The local Stripe emulator (services/stripe-local), a development tool: it runs from its TypeScript with
# the build stage's full install, and the production stage below never holds it.
FROM build AS stripe-local
# As in the production image: without it the emulator would offer its test-only controls (faults, clock).
ENV NODE_ENV=production
USER node
EXPOSE 12111
CMD ["node", "services/stripe-local/bin/stripe-local.js"]

FROM node:24.22-bookworm-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional as well: @prisma/client's optional peers (the prisma CLI, typescript) are
# development tools here, and nothing at run time needs an optional package.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24.22-bookworm-slim
ENV NODE_ENV=production
# glibc gives each thread that allocates an arena of its own (up to 8 per core); with two, the API's idle
# resident memory measured 13 to 18 MB lower in paired runs (docs/benchmarks.md, memory).
ENV MALLOC_ARENA_MAX=2
# Paygraph listens on loopback unless HOST says otherwise; in a container, reached only through its own
# network and the ports compose publishes, every interface is what makes it reachable at all.
ENV HOST=0.0.0.0
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json callbacks.yml ./
COPY prisma ./prisma
# A new named volume mounted here takes this folder's owner, so the init step can write its secrets.
RUN mkdir -p /var/lib/paygraph && chown node:node /var/lib/paygraph
USER node
EXPOSE 4000 4001 4002 9464
# node itself, not npm, so SIGTERM reaches it; compose adds an init (tini) as PID 1 too.
CMD ["node", "dist/src/main.js", "api"]
