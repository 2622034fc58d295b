// Append-only audit log: rows are redacted, hash-chained and written inside the caller's transaction.
import { type Kysely, sql } from "kysely";
import type { Dialect } from "../db/connect.js";
import type { DB } from "../db/schema.js";
import { redactAuditPayload } from "../sanitize/index.js";
import { newId } from "../security/random.js";
import { type ChainRow, GENESIS_HASH, rowHash, type VerifyResult, verifyChain } from "./chain.js";

/** Who did it and from where: filled from the request by the HTTP layer. */
export interface AuditContext {
  actorType: "user" | "system" | "anonymous";
  actorId: string | null;
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  authSource?: "session" | "pat" | "admin-cli" | "system" | null;
}

export interface AuditEntry {
  teamId: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  payload?: Record<string, unknown>;
}

export interface AuditRecord {
  id: string;
  seq: number;
  teamId: string | null;
  actor: { type: string; id: string | null };
  action: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  authSource: string | null;
  payload: unknown;
  createdAt: string;
}

// Arbitrary constant naming the audit-append lock on PostgreSQL.
const AUDIT_LOCK_KEY = 7_402_113;

export class AuditLog {
  constructor(
    private readonly dialect: Dialect,
    private readonly now: () => number,
  ) {}

  /** Must be called with the transaction that makes the change being recorded. */
  async append(trx: Kysely<DB>, ctx: AuditContext, entry: AuditEntry): Promise<void> {
    if (this.dialect === "postgres") {
      // Serialise appenders so each row links to the true previous one; released at commit.
      await sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`.execute(trx);
    }
    const last = await trx
      .selectFrom("audit_events")
      .select(["seq", "hash"])
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    const row = {
      seq: (last ? Number(last.seq) : 0) + 1,
      id: newId(),
      team_id: entry.teamId,
      actor_type: ctx.actorType,
      actor_id: ctx.actorId,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      request_id: ctx.requestId ?? null,
      ip: ctx.ip ?? null,
      user_agent: ctx.userAgent ? ctx.userAgent.slice(0, 512) : null,
      auth_source: ctx.authSource ?? null,
      payload: JSON.stringify(redactAuditPayload(entry.payload ?? {})),
      created_at: this.now(),
    };
    const prev_hash = last?.hash ?? GENESIS_HASH;
    await trx
      .insertInto("audit_events")
      .values({ ...row, prev_hash, hash: rowHash(prev_hash, row) })
      .execute();
  }

  /** Newest first, 25 a page, keyset-paginated by seq. */
  async listForTeam(
    db: Kysely<DB>,
    teamId: string,
    opts: { beforeSeq?: number; limit?: number; action?: string },
  ): Promise<{ events: AuditRecord[]; nextCursor: number | null }> {
    const limit = opts.limit ?? 25;
    let q = db.selectFrom("audit_events").selectAll().where("team_id", "=", teamId);
    if (opts.beforeSeq !== undefined) q = q.where("seq", "<", opts.beforeSeq);
    if (opts.action) q = q.where("action", "=", opts.action);
    const rows = await q
      .orderBy("seq", "desc")
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    return {
      events: page.map(toRecord),
      nextCursor: rows.length > limit ? Number(page[page.length - 1]?.seq) : null,
    };
  }

  /** Recomputes the whole chain in batches; reports the first broken row. */
  async verify(db: Kysely<DB>): Promise<VerifyResult> {
    let start = { prevHash: GENESIS_HASH, count: 0 };
    let afterSeq = 0;
    for (;;) {
      const batch = (await db
        .selectFrom("audit_events")
        .selectAll()
        .where("seq", ">", afterSeq)
        .orderBy("seq", "asc")
        .limit(1000)
        .execute()) as ChainRow[];
      if (batch.length === 0) return { ok: true, rows: start.count };
      const result = verifyChain(batch, start);
      if (!result.ok) return result;
      const lastRow = batch[batch.length - 1] as ChainRow;
      start = { prevHash: lastRow.hash, count: result.rows };
      afterSeq = Number(lastRow.seq);
    }
  }
}

function toRecord(r: DB["audit_events"]): AuditRecord {
  return {
    id: r.id,
    seq: Number(r.seq),
    teamId: r.team_id,
    actor: { type: r.actor_type, id: r.actor_id },
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    requestId: r.request_id,
    ip: r.ip,
    userAgent: r.user_agent,
    authSource: r.auth_source,
    payload: JSON.parse(r.payload) as unknown,
    createdAt: new Date(Number(r.created_at)).toISOString(),
  };
}
