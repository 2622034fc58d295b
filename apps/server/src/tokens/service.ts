// PAT rules: mint, list, revoke, and resolve a bearer token to its owner (no cache, so revocation is instant).
import type {
  CreatedToken,
  CreateTokenRequest,
  PatPrincipal,
  Role,
  Scope,
  TokenSummary,
} from "@mogplex/contract";
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import type { Clock } from "../clock.js";
import { iso } from "../clock.js";
import { precompile } from "../db/precompiled.js";
import type { DB, PersonalAccessTokensTable } from "../db/schema.js";
import { notFound } from "../failure.js";
import { allowlistOrThrow, storedAllowlist } from "../security/ip-allowlist.js";
import { hashPat, isWellFormedPat, mintPat } from "../security/pat.js";
import { newId, safeEqual } from "../security/random.js";

const DAY = 86_400_000;
const HASH_SENTINEL = "\u0000token-hash";

export class TokenService {
  private readonly lastUsed = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;

  private readonly byHash;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    // Runs on every public API request: compiled once (see db/precompiled.ts).
    this.byHash = precompile(
      this.db
        .selectFrom("personal_access_tokens as t")
        .innerJoin("team_members as m", (j) =>
          j.onRef("m.team_id", "=", "t.team_id").onRef("m.user_id", "=", "t.user_id"),
        )
        .select([
          "t.id",
          "t.user_id",
          "t.team_id",
          "t.token_hash",
          "t.scopes",
          "t.client",
          "t.ip_allowlist",
          "t.expires_at",
          "t.revoked_at",
          "m.role",
        ])
        .where("t.token_hash", "=", HASH_SENTINEL),
      [HASH_SENTINEL] as const,
    );
  }

  async create(
    userId: string,
    teamId: string,
    req: CreateTokenRequest,
    ctx: AuditContext,
    client: "api" | "cli" = "api",
  ): Promise<CreatedToken> {
    const now = this.clock.now();
    const { token, hash, prefix } = mintPat();
    const scopes = req.scopes ?? ["read", "write"];
    const expiresAt = req.expiresInDays ? now + req.expiresInDays * DAY : null;
    const ipAllowlist = allowlistOrThrow(req.ipAllowlist);
    const id = newId();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("personal_access_tokens")
        .values({
          id,
          user_id: userId,
          team_id: teamId,
          name: req.name,
          token_hash: hash,
          prefix,
          scopes: JSON.stringify(scopes),
          client,
          ip_allowlist: ipAllowlist,
          created_at: now,
          last_used_at: null,
          expires_at: expiresAt,
          revoked_at: null,
        })
        .execute();
      await this.audit.append(trx, ctx, {
        teamId,
        action: "token.created",
        targetType: "personal_access_token",
        targetId: id,
        payload: {
          name: req.name,
          prefix,
          scopes,
          client,
          expiresAt: iso(expiresAt),
          ipAllowlist: req.ipAllowlist ?? null,
        },
      });
    });
    return { id, token, prefix, scopes, expiresAt: iso(expiresAt) };
  }

  async list(userId: string): Promise<TokenSummary[]> {
    const rows = await this.db
      .selectFrom("personal_access_tokens")
      .selectAll()
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .execute();
    return rows.map((r) => this.summary(r));
  }

  /** The token a request authenticated with (GET /api/v1/mogplex/token): what the CLI stores as its expiry. */
  async current(tokenId: string): Promise<TokenSummary> {
    const row = await this.db
      .selectFrom("personal_access_tokens")
      .selectAll()
      .where("id", "=", tokenId)
      .executeTakeFirstOrThrow();
    return this.summary(row);
  }

  private summary(r: PersonalAccessTokensTable): TokenSummary {
    return {
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      scopes: JSON.parse(r.scopes) as string[],
      createdAt: iso(r.created_at),
      lastUsedAt: iso(this.lastUsed.get(r.id) ?? r.last_used_at),
      expiresAt: iso(r.expires_at),
      ipAllowlist: r.ip_allowlist === null ? null : (JSON.parse(r.ip_allowlist) as string[]),
    };
  }

  async revoke(userId: string, id: string, ctx: AuditContext): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom("personal_access_tokens")
        .select(["id", "team_id", "prefix", "revoked_at"])
        .where("id", "=", id)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      if (!row || row.revoked_at !== null) throw notFound("Token");
      await trx.updateTable("personal_access_tokens").set({ revoked_at: now }).where("id", "=", id).execute();
      await this.audit.append(trx, ctx, {
        teamId: row.team_id,
        action: "token.revoked",
        targetType: "personal_access_token",
        targetId: id,
        payload: { prefix: row.prefix },
      });
    });
  }

  /** Every live token of a user goes (account deletion, admin action). */
  async revokeAllForUser(trx: Kysely<DB>, userId: string): Promise<number> {
    const res = await trx
      .updateTable("personal_access_tokens")
      .set({ revoked_at: this.clock.now() })
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  /**
   * Resolves a presented bearer token. Malformed, unknown, expired, revoked, or whose owner left the
   * team: all the same `null` (unauthenticated), so callers can't tell which.
   */
  async authenticate(token: string): Promise<PatPrincipal | null> {
    if (!isWellFormedPat(token)) return null;
    const hash = hashPat(token);
    const [row] = await this.byHash(this.db as never, [hash]);
    // The index lookup already matched; the constant-time compare guards against a collation surprise.
    if (!row || !safeEqual(row.token_hash, hash)) return null;
    const now = this.clock.now();
    if (row.revoked_at !== null) return null;
    if (row.expires_at !== null && now >= row.expires_at) return null;
    this.lastUsed.set(row.id, now);
    return {
      kind: "pat",
      userId: row.user_id,
      teamId: row.team_id,
      role: row.role as Role,
      tokenId: row.id,
      scopes: JSON.parse(row.scopes) as Scope[],
      client: row.client === "cli" ? "cli" : "api",
      ipAllowlist: storedAllowlist(row.ip_allowlist),
    };
  }

  /** Writes batched last-used times; called on a timer and at shutdown, never on the request path. */
  async flushLastUsed(): Promise<void> {
    if (this.lastUsed.size === 0) return;
    const batch = [...this.lastUsed];
    this.lastUsed.clear();
    for (const [id, at] of batch) {
      await this.db
        .updateTable("personal_access_tokens")
        .set({ last_used_at: at })
        .where("id", "=", id)
        .execute();
    }
  }

  startFlushing(intervalMs = 5_000): void {
    this.flushTimer = setInterval(() => {
      this.flushLastUsed().catch(() => undefined);
    }, intervalMs);
    this.flushTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.flushLastUsed();
  }
}
