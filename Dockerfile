# The api and worker image. Same image, different command.
FROM node:20-bookworm-slim
WORKDIR /app
# build tools in case better-sqlite3 has no prebuilt binary for this platform
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY domain ./domain
COPY app ./app
COPY db ./db
COPY gateway ./gateway
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY migrations ./migrations
COPY scripts ./scripts
ENV NODE_ENV=production
USER node
EXPOSE 5001
CMD ["npx", "tsx", "scripts/api.ts"]
