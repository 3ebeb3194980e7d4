# kling-bot on the current Node LTS (26), non-root, with a healthcheck.
# Build stage: install everything, bundle src/ and commands/ into dist/ (esbuild), then drop the dev tools.
FROM node:26-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No native build: the SQLite driver is Node's own (node:sqlite) or libsql's prebuilt binary.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY commands ./commands
RUN node scripts/build.mjs --always && npm prune --omit=dev --no-audit --no-fund

# Final stage: the bundle and production dependencies only (no TypeScript, no simulator); of those,
# the bundle loads only libsql (a native addon) and iconv-lite from node_modules.
FROM node:26-slim
ENV NODE_ENV=production PORT=3000 STORE_URL=sqlite:///app/data/kling-bot.sqlite
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/scripts ./scripts
COPY slack ./slack
RUN mkdir -p /app/data && chown -R node:node /app/data
USER node
EXPOSE 3000
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# `npm start` without npm in between: the same command (package.json "start"), and SIGTERM
# from `docker stop` reaches the bot directly.
CMD ["node", "dist/main.js"]
