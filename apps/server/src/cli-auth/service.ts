// CLI sign-in rules: the PKCE-bound browser hand-off code and our RFC 8628 device flow, both ending in a PAT.
import type { Scope } from "@mogplex/contract";
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import type { Clock } from "../clock.js";
import type { DB } from "../db/schema.js";
import { newId, randomString, safeEqual, sha256Hex } from "../security/random.js";
import type { TokenService } from "../tokens/service.js";
import { cliTokenName, normaliseUserCode, s256, USER_CODE_ALPHABET } from "./validate.js";

export const CODE_TTL_MS = 60_000;
export const DEVICE_TTL_S = 600;
export const DEVICE_INTERVAL_S = 5;
/** RFC 8628 §3.5: every slow_down adds 5 seconds to the interval the client must keep. */
export const SLOW_DOWN_STEP_S = 5;
export const CLI_TOKEN_DAYS = 90;
export const CLI_SCOPES = ["read", "write"] as const;
/** The registry CLI's client id, and what its device sign-in grants: `sell` only to a team that has a vendor, or to its owners and admins (who may create one). */
export const MOG_CLIENT_ID = "mog";
export const MOG_SCOPES = ["read", "download", "purchase"] as const;

/** An OAuth-style failure of a token endpoint (`{error, error_description}`, RFC 6749 §5.2). */
export class OAuthError extends Error {
  constructor(
    readonly error:
      | "invalid_request"
      | "invalid_grant"
      | "unsupported_grant_type"
      | "authorization_pending"
      | "slow_down"
      | "expired_token"
      | "access_denied",
    message: string,
  ) {
    super(message);
  }
}

export interface IssuedToken {
  token: string;
  prefix: string;
  expiresAt: string | null;
  scopes: Scope[];
}

export interface PendingDevice {
  id: string;
  createdAt: number;
  expiresAt: number;
  requesterIp: string | null;
  requesterAgent: string | null;
  clientId: string | null;
}

export class CliAuthService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly tokens: TokenService,
  ) {}

  /** Consent given: stores a single-use, 60-second code bound to the PKCE challenge, user and team. */
  async consent(
    o: { userId: string; teamId: string; callback: URL; nonce: string; codeChallenge: string },
    ctx: AuditContext,
  ): Promise<{ code: string; redirectUrl: string }> {
    const now = this.clock.now();
    const code = randomString(32);
    const id = newId();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("cli_auth_codes")
        .values({
          id,
          code_hash: sha256Hex(code),
          code_challenge: o.codeChallenge,
          user_id: o.userId,
          team_id: o.teamId,
          created_at: now,
          expires_at: now + CODE_TTL_MS,
          consumed_at: null,
        })
        .execute();
      await this.audit.append(trx, ctx, {
        teamId: o.teamId,
        action: "cli_auth.consented",
        targetType: "user",
        targetId: o.userId,
        payload: {
          callbackPort: Number(o.callback.port),
          scopes: [...CLI_SCOPES],
          expiresInDays: CLI_TOKEN_DAYS,
        },
      });
    });
    return { code, redirectUrl: `${o.callback.href}?code=${code}&nonce=${o.nonce}` };
  }

  async recordDenial(
    o: { userId: string; teamId: string | null; callback: URL },
    ctx: AuditContext,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.audit.append(trx, ctx, {
        teamId: o.teamId,
        action: "cli_auth.denied",
        targetType: "user",
        targetId: o.userId,
        payload: { callbackPort: Number(o.callback.port) },
      });
    });
  }

  /**
   * Exchanges a hand-off code and its PKCE verifier for a new PAT. The code is consumed atomically (one
   * conditional update), so two racing exchanges can't both win; a wrong verifier leaves it for the real CLI.
   */
  async exchange(code: string, verifier: string, ctx: AuditContext): Promise<IssuedToken> {
    const now = this.clock.now();
    const row = await this.db
      .selectFrom("cli_auth_codes")
      .selectAll()
      .where("code_hash", "=", sha256Hex(code))
      .executeTakeFirst();
    if (!row || row.consumed_at !== null || now >= row.expires_at) {
      throw new OAuthError("invalid_grant", "The code is invalid, expired or already used");
    }
    if (!safeEqual(s256(verifier), row.code_challenge)) {
      throw new OAuthError("invalid_grant", "The code verifier does not match the challenge");
    }
    const claimed = await this.db
      .updateTable("cli_auth_codes")
      .set({ consumed_at: now })
      .where("id", "=", row.id)
      .where("consumed_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) {
      throw new OAuthError("invalid_grant", "The code is invalid, expired or already used");
    }
    return this.mint(row.user_id, row.team_id, now, ctx);
  }

  /** RFC 8628 §3.1–3.2: a new device code (hashed at rest) and a short user code (hashed too). */
  async startDevice(requester: {
    ip: string | null;
    userAgent: string | null;
    clientId?: string | null;
  }): Promise<{ deviceCode: string; userCode: string; expiresIn: number; interval: number }> {
    const now = this.clock.now();
    const deviceCode = randomString(43);
    for (let attempt = 0; ; attempt++) {
      const userCode = randomString(8, USER_CODE_ALPHABET);
      try {
        await this.db
          .insertInto("cli_device_codes")
          .values({
            id: newId(),
            device_code_hash: sha256Hex(deviceCode),
            user_code_hash: sha256Hex(userCode),
            status: "pending",
            interval_s: DEVICE_INTERVAL_S,
            last_polled_at: null,
            requester_ip: requester.ip,
            requester_agent: requester.userAgent?.slice(0, 200) ?? null,
            client_id: requester.clientId === MOG_CLIENT_ID ? MOG_CLIENT_ID : null,
            user_id: null,
            team_id: null,
            created_at: now,
            expires_at: now + DEVICE_TTL_S * 1000,
            decided_at: null,
          })
          .execute();
        return { deviceCode, userCode, expiresIn: DEVICE_TTL_S, interval: DEVICE_INTERVAL_S };
      } catch (err) {
        // A user-code collision with a live row (unique index): draw again, a few times at most.
        if (attempt >= 4) throw err;
      }
    }
  }

  /** The pending, unexpired request a user code names (for the approval page), or null. */
  async pendingDevice(userCodeInput: string): Promise<PendingDevice | null> {
    const code = normaliseUserCode(userCodeInput);
    if (!code) return null;
    const row = await this.db
      .selectFrom("cli_device_codes")
      .selectAll()
      .where("user_code_hash", "=", sha256Hex(code))
      .executeTakeFirst();
    if (row?.status !== "pending" || this.clock.now() >= row.expires_at) return null;
    return {
      id: row.id,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      requesterIp: row.requester_ip,
      requesterAgent: row.requester_agent,
      clientId: row.client_id,
    };
  }

  /** Approves or denies a pending device request; false when the code is unknown, expired or decided. */
  async decideDevice(
    userCodeInput: string,
    who: { userId: string; teamId: string },
    approve: boolean,
    ctx: AuditContext,
  ): Promise<boolean> {
    const pending = await this.pendingDevice(userCodeInput);
    if (!pending) return false;
    const now = this.clock.now();
    return this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable("cli_device_codes")
        .set({
          status: approve ? "approved" : "denied",
          user_id: who.userId,
          team_id: who.teamId,
          decided_at: now,
        })
        .where("id", "=", pending.id)
        .where("status", "=", "pending")
        .where("expires_at", ">", now)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      await this.audit.append(trx, ctx, {
        teamId: who.teamId,
        action: approve ? "device.approved" : "device.denied",
        targetType: "device_code",
        targetId: pending.id,
        payload: {
          requesterIp: pending.requesterIp,
          scopes: approve ? await this.deviceScopes(trx, pending.clientId, who) : [],
        },
      });
      return true;
    });
  }

  /** RFC 8628 §3.4–3.5: one poll. The PAT is minted once, at the poll that consumes the approval. */
  async pollDevice(deviceCode: string, ctx: AuditContext): Promise<IssuedToken> {
    const now = this.clock.now();
    const row = await this.db
      .selectFrom("cli_device_codes")
      .selectAll()
      .where("device_code_hash", "=", sha256Hex(deviceCode))
      .executeTakeFirst();
    if (!row || row.status === "consumed")
      throw new OAuthError("invalid_grant", "Unknown or already used device code");
    if (now >= row.expires_at)
      throw new OAuthError("expired_token", "The device code has expired; start again");
    if (row.status === "denied") throw new OAuthError("access_denied", "The request was denied");
    if (row.status === "approved" && row.user_id && row.team_id) {
      const claimed = await this.db
        .updateTable("cli_device_codes")
        .set({ status: "consumed" })
        .where("id", "=", row.id)
        .where("status", "=", "approved")
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1)
        throw new OAuthError("invalid_grant", "Unknown or already used device code");
      const scopes = await this.deviceScopes(this.db, row.client_id, {
        userId: row.user_id,
        teamId: row.team_id,
      });
      return this.mint(row.user_id, row.team_id, now, ctx, scopes);
    }
    // Pending: a poll sooner than the interval since the last one is answered slow_down and widens the interval.
    const earliest = now - row.interval_s * 1000;
    const polled = await this.db
      .updateTable("cli_device_codes")
      .set({ last_polled_at: now })
      .where("id", "=", row.id)
      .where((eb) => eb.or([eb("last_polled_at", "is", null), eb("last_polled_at", "<=", earliest)]))
      .executeTakeFirst();
    if (Number(polled.numUpdatedRows) !== 1) {
      await this.db
        .updateTable("cli_device_codes")
        .set({ interval_s: row.interval_s + SLOW_DOWN_STEP_S, last_polled_at: now })
        .where("id", "=", row.id)
        .execute();
      throw new OAuthError(
        "slow_down",
        `Polling too fast; wait ${row.interval_s + SLOW_DOWN_STEP_S} s between polls`,
      );
    }
    throw new OAuthError("authorization_pending", "Waiting for the user to approve the request");
  }

  /** `mogplex`: read, write. `mog`: read, download, purchase, and sell for a vendor's team (or its owners/admins). */
  private async deviceScopes(
    db: Kysely<DB>,
    clientId: string | null,
    who: { userId: string; teamId: string },
  ): Promise<Scope[]> {
    if (clientId !== MOG_CLIENT_ID) return [...CLI_SCOPES];
    const vendor = await db
      .selectFrom("registry_vendors")
      .select("slug")
      .where("team_id", "=", who.teamId)
      .executeTakeFirst();
    const member = await db
      .selectFrom("team_members")
      .select("role")
      .where("team_id", "=", who.teamId)
      .where("user_id", "=", who.userId)
      .executeTakeFirst();
    const sells = vendor !== undefined || member?.role === "owner" || member?.role === "admin";
    return sells ? [...MOG_SCOPES, "sell"] : [...MOG_SCOPES];
  }

  private async mint(
    userId: string,
    teamId: string,
    now: number,
    ctx: AuditContext,
    scopes: Scope[] = [...CLI_SCOPES],
  ): Promise<IssuedToken> {
    const created = await this.tokens.create(
      userId,
      teamId,
      { name: cliTokenName(now), scopes, expiresInDays: CLI_TOKEN_DAYS },
      { ...ctx, actorType: "user", actorId: userId },
      "cli",
    );
    return { token: created.token, prefix: created.prefix, expiresAt: created.expiresAt, scopes };
  }
}
