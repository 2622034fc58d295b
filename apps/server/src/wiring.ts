// Composition shared by `serve`, `admin` and tests: config + database → migrated, fully wired services.
import { Redis } from "ioredis";
import { type Clock, systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { connect, type Db } from "./db/connect.js";
import { migrateToLatest } from "./db/migrate.js";
import { trustedOrigins } from "./http/origin.js";
import { createIdentity } from "./identity/index.js";
import type { RateLimitStore } from "./limits/index.js";
import { createLogger, type Logger } from "./logger.js";
import { loadSecrets } from "./secrets.js";
import { buildServices, type Services } from "./services.js";

export interface WireOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  db?: Db;
  migrate?: boolean;
  limiter?: RateLimitStore;
  pgSchema?: string;
}

export function baseUrlOf(config: Config): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/$/, "");
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${config.port}`;
}

export async function wire(o: WireOptions): Promise<Services> {
  const { config } = o;
  const secrets = loadSecrets(config);
  const logger = o.logger ?? createLogger(config.logLevel);
  const db =
    o.db ??
    connect({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      pgSchema: o.pgSchema,
      onConnectionError: (err) =>
        logger.warn(
          { err: { message: err.message, code: (err as { code?: string }).code } },
          "database connection lost; reconnecting on next use",
        ),
    });
  if (o.migrate ?? true) await migrateToLatest(db.db, db.dialect);
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false })
    : undefined;
  redis?.on("error", (err) => logger.warn({ err: { message: err.message } }, "redis error"));
  // Commands fail fast while disconnected (limits fail closed), so give the first connection a moment
  // before serving; if Redis stays down the server still starts and answers 503 where it is needed.
  if (redis) await waitForReady(redis, 2_000);
  const base = baseUrlOf(config);
  const services = buildServices({
    config,
    db,
    clock: o.clock ?? systemClock,
    logger,
    redis,
    limiter: o.limiter,
    secrets,
    baseUrl: base,
    identity: (p) =>
      createIdentity({
        db,
        audit: p.audit,
        clock: p.clock,
        teams: p.teams,
        tokens: p.tokens,
        authSecret: secrets.authSecret,
        baseURL: base,
        trustedOrigins: trustedOrigins(config),
      }),
  });
  const close = services.close;
  services.close = async () => {
    await close();
    redis?.disconnect();
    await db.close();
  };
  return services;
}

function waitForReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    redis.once("ready", done);
  });
}
