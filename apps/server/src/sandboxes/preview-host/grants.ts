// Who may see a preview host: single-use hand-off codes minted by the control plane, redeemed on the preview host
// for that host's own cookie. Both are random, stored as SHA-256 digests, bound to a member, a sandbox and the
// control-plane session that asked; in the database, so any replica can mint and any can redeem.
import type { Kysely } from "kysely";
import type { Clock } from "../../clock.js";
import type { DB } from "../../db/schema.js";
import { SESSION_ABSOLUTE_MS } from "../../identity/auth.js";
import { randomString, sha256Hex } from "../../security/random.js";

/** How long a hand-off code may wait for its redirect to be followed. */
export const HANDOFF_TTL_MS = 60_000;
/** The longest a preview cookie lives (never past its control-plane session). */
export const PREVIEW_COOKIE_MS = 12 * 3_600_000;

export interface PreviewGrant {
  userId: string;
  sessionId: string;
  teamId: string;
  /** When the preview cookie (to be) issued for it ends. */
  expiresAt: number;
}

const RUNNING_NOT = ["stopped", "error"];
const secret = () => randomString(43);

export class PreviewGrants {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
  ) {}

  /** A code for one member's browser to carry to one sandbox's preview host. */
  async mint(userId: string, sessionId: string, sandboxId: string): Promise<string> {
    const now = this.clock.now();
    const code = secret();
    await this.db
      .insertInto("preview_handoffs")
      .values({
        code_hash: sha256Hex(code),
        user_id: userId,
        session_id: sessionId,
        sandbox_id: sandboxId,
        expires_at: now + HANDOFF_TTL_MS,
      })
      .execute();
    return code;
  }

  /**
   * Spends a code (once: the row goes whoever asks first) and, when the member may still see the preview, issues
   * the preview host's cookie value. Null for an unknown, used, expired or foreign code, or a lost right.
   */
  async redeem(code: string, sandboxId: string): Promise<{ token: string; grant: PreviewGrant } | null> {
    const now = this.clock.now();
    const hash = sha256Hex(code);
    const row = await this.db
      .selectFrom("preview_handoffs")
      .selectAll()
      .where("code_hash", "=", hash)
      .executeTakeFirst();
    if (!row) return null;
    const spent = await this.db
      .deleteFrom("preview_handoffs")
      .where("code_hash", "=", hash)
      .executeTakeFirst();
    if (Number(spent.numDeletedRows) !== 1) return null;
    if (row.sandbox_id !== sandboxId || Number(row.expires_at) <= now) return null;
    const grant = await this.check(row.user_id, row.session_id, sandboxId);
    if (!grant) return null;
    const token = secret();
    await this.db
      .insertInto("preview_sessions")
      .values({
        token_hash: sha256Hex(token),
        user_id: grant.userId,
        session_id: grant.sessionId,
        sandbox_id: sandboxId,
        created_at: now,
        expires_at: grant.expiresAt,
      })
      .execute();
    return { token, grant };
  }

  /** The grant behind one of the preview cookies a browser sent (several if a planted one shadows ours). */
  async fromCookies(tokens: string[], sandboxId: string): Promise<PreviewGrant | null> {
    if (tokens.length === 0) return null;
    const rows = await this.db
      .selectFrom("preview_sessions")
      .select(["user_id", "session_id", "expires_at"])
      .where("token_hash", "in", tokens.map(sha256Hex))
      .where("sandbox_id", "=", sandboxId)
      .where("expires_at", ">", this.clock.now())
      .execute();
    for (const row of rows) {
      const grant = await this.check(row.user_id, row.session_id, sandboxId);
      if (grant) return { ...grant, expiresAt: Math.min(grant.expiresAt, Number(row.expires_at)) };
    }
    return null;
  }

  /**
   * Whether the member may see the sandbox's preview now: the sandbox runs, they are in its team, and the
   * control-plane session that asked still lives (signing out, a revoked session or a deleted account ends it).
   */
  async check(userId: string, sessionId: string, sandboxId: string): Promise<PreviewGrant | null> {
    const now = this.clock.now();
    const row = await this.db
      .selectFrom("sandboxes as x")
      .innerJoin("team_members as m", (j) =>
        j.onRef("m.team_id", "=", "x.team_id").on("m.user_id", "=", userId),
      )
      .innerJoin("session as s", (j) => j.on("s.id", "=", sessionId).on("s.userId", "=", userId))
      .select(["x.team_id", "x.status", "s.expiresAt", "s.createdAt"])
      .where("x.id", "=", sandboxId)
      .executeTakeFirst();
    if (!row || RUNNING_NOT.includes(row.status)) return null;
    const sessionEnds = Math.min(
      new Date(row.expiresAt).getTime(),
      new Date(row.createdAt).getTime() + SESSION_ABSOLUTE_MS,
    );
    if (!(sessionEnds > now)) return null;
    return {
      userId,
      sessionId,
      teamId: row.team_id,
      expiresAt: Math.min(sessionEnds, now + PREVIEW_COOKIE_MS),
    };
  }
}
