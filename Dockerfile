# billgate as a container image: built in one stage, run as a non-root user in another.
# Docker cannot run on the machine this was written on: the file is checked by
# test/e2e/deploy.spec.ts (its commands are the README's), not built there. See README "Deploying it".

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    DATA_DIR=/var/lib/billgate \
    CERTS_DIR=/var/lib/billgate/certs
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /var/lib/billgate && chown node:node /var/lib/billgate
# The image's own unprivileged user (uid 1000): the gateway needs no privilege, its ports are above 1024.
USER node
EXPOSE 8080 8443 8583
# Ready means the database answers (503 while it is away): what a balancer and the orchestrator need.
HEALTHCHECK --interval=10s --timeout=3s --start-period=40s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
