// Connects tests to the real local Redis under a per-run random prefix and deletes what they wrote.
import { randomUUID } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Unique per test run so parallel runs and other suites sharing this Redis never see each other's keys. */
export const RUN_PREFIX = `test:limits:${randomUUID()}:`;

const clients = new Set<Redis>();

export function connectRedis(options: RedisOptions = {}): Redis {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, ...options });
  clients.add(client);
  return client;
}

export function uniquePrefix(): string {
  return `${RUN_PREFIX}${randomUUID().slice(0, 8)}:`;
}

export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

/** Removes everything this run wrote and closes every client the tests opened. */
export async function cleanupRedis(): Promise<void> {
  const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    await deleteKeys(admin, RUN_PREFIX);
  } finally {
    admin.disconnect();
  }
  for (const client of clients) client.disconnect();
  clients.clear();
}
