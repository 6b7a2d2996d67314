# One image for the five apps; docker-compose.yml picks the app per service with `command`.
#   docker build -t handover .
#   docker run --env-file .env handover node dist/apps/token/src/main.js
# (or set APP: `docker run -e APP=token ...` runs the default command below for that app).

# --- build: install everything, compile with swc, then drop the dev dependencies ---------------------------------
FROM node:20-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused until they change. `npm install` rather than `npm ci`:
# it honours the lockfile too, and does not refuse a lockfile made on another platform (shared/TOOLCHAIN.md).
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json .swcrc nest-cli.json ./
COPY scripts ./scripts
COPY apps ./apps
COPY libs ./libs
COPY launcher ./launcher
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- run: node, the production dependencies and dist/ only; no compiler, no sources ------------------------------
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
# package.json stays: its "imports" map (#contracts -> dist/libs/contracts/src/index.js, ...) resolves the libs.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Root owns the files and the `node` user (uid 1000, from the base image) runs them: the app cannot rewrite its
# own code. Distributed mode writes nothing to disk.
USER node
ARG APP=gateway
ENV APP=${APP}
EXPOSE 3000 3101 3102 3103 3104
# Apps stop gracefully on SIGTERM (drain, then exit); `exec` makes node PID 1 so it receives the signal.
CMD ["sh", "-c", "exec node dist/apps/${APP}/src/main.js"]
