# One image for the API, the worker and both services; docker-compose.yml picks the command.
FROM node:20.20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY src/config.ts ./src/config.ts
RUN npm ci --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
EXPOSE 4000 4001 4002
CMD ["npm", "run", "api"]
