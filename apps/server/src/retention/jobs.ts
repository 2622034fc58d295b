// Retention: purges expired one-time secrets and stale records so nothing sensitive outlives its use.
import type { Kysely } from "kysely";
import type { Clock } from "../clock.js";
import type { DB } from "../db/schema.js";
import type { Logger } from "../logger.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Idempotency keys are promised for at least 24 h; keep two days so a slow retry still replays. */
export const IDEMPOTENCY_KEEP_MS = 2 * DAY;

export interface PurgeCounts {
  setupTokens: number;
  invitations: number;
  idempotencyKeys: number;
  deviceCodes: number;
  cliAuthCodes: number;
  cliDeviceCodes: number;
  sessions: number;
  previewHandoffs: number;
  previewSessions: number;
}

export async function purgeExpired(
  db: Kysely<DB>,
  dialect: "sqlite" | "postgres",
  now: number,
): Promise<PurgeCounts> {
  const n = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
  const setupTokens = n(await db.deleteFrom("setup_tokens").where("expires_at", "<", now).executeTakeFirst());
  // Finished invitations stay a week for the team's records, then go.
  const invitations = n(
    await db
      .deleteFrom("invitations")
      .where((eb) =>
        eb.or([
          eb("expires_at", "<", now - 7 * DAY),
          eb("accepted_at", "<", now - 7 * DAY),
          eb("revoked_at", "<", now - 7 * DAY),
        ]),
      )
      .executeTakeFirst(),
  );
  const idempotencyKeys = n(
    await db
      .deleteFrom("idempotency_keys")
      .where("created_at", "<", now - IDEMPOTENCY_KEEP_MS)
      .executeTakeFirst(),
  );
  // Better Auth keeps dates as ISO text on SQLite and timestamptz on PostgreSQL.
  const cutoff: string | Date = dialect === "sqlite" ? new Date(now).toISOString() : new Date(now);
  const deviceCodes = n(
    await (db as unknown as Kysely<{ deviceCode: { expiresAt: string | Date } }>)
      .deleteFrom("deviceCode")
      .where("expiresAt", "<", cutoff)
      .executeTakeFirst(),
  );
  const sessions = n(await db.deleteFrom("session").where("expiresAt", "<", cutoff).executeTakeFirst());
  // CLI sign-in: hand-off codes live 60 s and device codes 10 min; used or not, nothing is kept past expiry.
  const cliAuthCodes = n(
    await db.deleteFrom("cli_auth_codes").where("expires_at", "<", now).executeTakeFirst(),
  );
  const cliDeviceCodes = n(
    await db.deleteFrom("cli_device_codes").where("expires_at", "<", now).executeTakeFirst(),
  );
  // Preview hand-off codes and preview-host sessions: reads already skip expired rows; these clear them out.
  const previewHandoffs = n(
    await db.deleteFrom("preview_handoffs").where("expires_at", "<=", now).executeTakeFirst(),
  );
  const previewSessions = n(
    await db.deleteFrom("preview_sessions").where("expires_at", "<=", now).executeTakeFirst(),
  );
  return {
    setupTokens,
    invitations,
    idempotencyKeys,
    deviceCodes,
    cliAuthCodes,
    cliDeviceCodes,
    sessions,
    previewHandoffs,
    previewSessions,
  };
}

export function startRetention(
  db: Kysely<DB>,
  dialect: "sqlite" | "postgres",
  clock: Clock,
  logger: Logger,
  everyMs = HOUR,
): () => void {
  const run = () => {
    purgeExpired(db, dialect, clock.now()).then(
      (c) => logger.debug({ purged: c }, "retention"),
      (err: Error) => logger.warn({ err: { message: err.message } }, "retention failed"),
    );
  };
  const timer = setInterval(run, everyMs);
  timer.unref();
  run();
  return () => clearInterval(timer);
}
