# hashwarden HTTP service. Build: docker build -t hashwarden .
# Run:   docker run -p 8080:8080 -v hashwarden-data:/data hashwarden
# The first start prints an admin API key once on stdout (docker logs): store it.

# --- build: all dependencies, compile TypeScript to dist/ ---------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npx tsc -p tsconfig.build.json

# --- runtime: production dependencies and dist/ only, as a non-root user ------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HASHWARDEN_HOST=0.0.0.0 \
    HASHWARDEN_PORT=8080 \
    HASHWARDEN_DB_PATH=/data/hashwarden.db
# Fewer glibc malloc arenas: lower, steadier RSS under load with worker threads (docs/reliability.md, Soak).
ENV MALLOC_ARENA_MAX=2
# Transparent huge pages for the index arrays (glibc 2.36 here; the host's THP mode must be madvise or
# always): faster searches on large lists, README "Huge pages".
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080
# No curl in the image: Node's own fetch probes the liveness route.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HASHWARDEN_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node as PID 1 gets SIGTERM from `docker stop`; serve drains in-flight requests and exits 0.
CMD ["node", "bin/hashwarden.js", "serve"]
