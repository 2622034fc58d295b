// Readiness: the database answers, and Redis too when the deployment uses it.
import { sql } from "kysely";
import type { Services } from "../services.js";

export async function readiness(
  s: Pick<Services, "db" | "redis">,
): Promise<{ ok: boolean; detail: Record<string, string> }> {
  const detail: Record<string, string> = {};
  const withTimeout = <T>(p: Promise<T>) =>
    Promise.race([
      p,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 2000).unref()),
    ]);
  try {
    await withTimeout(sql`select 1`.execute(s.db.db));
    detail.database = "ok";
  } catch {
    detail.database = "unavailable";
  }
  if (s.redis) {
    try {
      await withTimeout(s.redis.ping());
      detail.redis = "ok";
    } catch {
      detail.redis = "unavailable";
    }
  }
  return { ok: Object.values(detail).every((v) => v === "ok"), detail };
}
