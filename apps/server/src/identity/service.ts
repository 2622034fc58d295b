// People and sessions around Better Auth: user creation, session lookup with absolute expiry,
// session revocation, first-run setup, data export and account deletion.
import type { Context } from "hono";
import { type Kysely, sql } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import { type Clock, iso } from "../clock.js";
import type { DB } from "../db/schema.js";
import { isDatabaseUnavailable } from "../db/unavailable.js";
import { ApiError, badRequest, notFound } from "../http/errors.js";
import type { AppEnv, Role, SessionPrincipal } from "../http/types.js";
import { newId, randomString, sha256Hex } from "../security/random.js";
import type { TeamService } from "../teams/service.js";
import type { TokenService } from "../tokens/service.js";
import {
  type Auth,
  authFailure,
  CLIENT_IP_HEADER,
  EMAIL_SHAPE,
  hashBackupCode,
  MIN_PASSWORD,
  REQUEST_ID_HEADER,
  SESSION_ABSOLUTE_MS,
} from "./auth.js";

const SETUP_TTL_MS = 3_600_000;

async function readBackupCodeBody(req: Request): Promise<{ code: string } | null> {
  if (!(req.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json")) return null;
  try {
    const parsed = JSON.parse(await req.text()) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
    const code = (parsed as { code?: unknown }).code;
    return typeof code === "string" ? (parsed as { code: string }) : null;
  } catch {
    return null;
  }
}

export interface NewUser {
  email: string;
  name: string;
  password: string;
}

export class Identity {
  constructor(
    readonly auth: Auth,
    private readonly db: Kysely<DB>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly teams: TeamService,
    private readonly tokens: TokenService,
  ) {}

  /**
   * Mounts Better Auth; the client IP it records comes from the socket, never from a client header. `origin`
   * stands in for a missing Origin header on a request the caller already found to be same-origin.
   */
  async handle(c: Context<AppEnv>, o: { origin?: string } = {}): Promise<Response> {
    const headers = new Headers(c.req.raw.headers);
    if (o.origin && !headers.has("origin")) headers.set("origin", o.origin);
    headers.set(CLIENT_IP_HEADER, c.get("clientIp"));
    headers.set(REQUEST_ID_HEADER, c.get("requestId"));
    let body: string | ReadableStream<Uint8Array> | null = c.req.raw.body;
    if (c.req.method === "POST" && c.req.path.endsWith("/two-factor/verify-backup-code")) {
      // Stored backup codes are digests: always hash what was submitted, so a leaked digest is not itself a
      // code. Only JSON is accepted here: a form body would reach Better Auth unhashed.
      const parsed = await readBackupCodeBody(c.req.raw);
      if (!parsed) {
        return Response.json(
          { message: "Expected a JSON body with a string code", code: "INVALID_REQUEST_BODY" },
          { status: 400 },
        );
      }
      parsed.code = hashBackupCode(parsed.code);
      body = JSON.stringify(parsed);
      headers.set("content-type", "application/json");
      headers.delete("content-length");
    }
    const init: RequestInit & { duplex?: "half" } = { method: c.req.method, headers, body, duplex: "half" };
    const failure: { error?: unknown } = {};
    const res = await authFailure.run(failure, () =>
      this.auth.handler(
        new Request(
          c.req.url,
          c.req.method === "GET" || c.req.method === "HEAD" ? { method: c.req.method, headers } : init,
        ),
      ),
    );
    // A server-side failure (the database away, a bug) goes to the catch-all: 503 + Retry-After or a logged 500.
    if (failure.error !== undefined && (res.status >= 500 || isDatabaseUnavailable(failure.error)))
      throw failure.error;
    return withoutSessionTokens(res);
  }

  async getSession(headers: Headers): Promise<SessionPrincipal | null> {
    return (await this.resolveSession(headers)).principal;
  }

  /**
   * Looks up the session and returns any refreshed session cookie Better Auth issued (sliding idle expiry),
   * which the caller must forward or the browser's cookie would lapse while the session lives on.
   */
  async resolveSession(
    headers: Headers,
  ): Promise<{ principal: SessionPrincipal | null; setCookies: string[] }> {
    const res = await this.auth.api.getSession({ headers, returnHeaders: true }).catch((err: unknown) => {
      // The database being away is not "signed out": the caller answers 503 and the browser keeps its cookie.
      if (isDatabaseUnavailable(err)) throw err;
      return null;
    });
    const setCookies = res?.headers?.getSetCookie() ?? [];
    const found = res?.response;
    if (!found) return { principal: null, setCookies };
    const created = new Date(found.session.createdAt).getTime();
    if (this.clock.now() - created > SESSION_ABSOLUTE_MS) {
      // Sliding renewal stops at the absolute lifetime: sign in again.
      await this.db.deleteFrom("session").where("id", "=", found.session.id).execute();
      return { principal: null, setCookies: [] };
    }
    // Deletion removes every session, but a flow begun before it (device code, 2FA challenge) could mint one.
    const sec = await this.db
      .selectFrom("user_security")
      .select("deleted_at")
      .where("user_id", "=", found.user.id)
      .executeTakeFirst();
    if (sec && sec.deleted_at !== null) {
      await this.db.deleteFrom("session").where("userId", "=", found.user.id).execute();
      return { principal: null, setCookies: [] };
    }
    return {
      principal: {
        kind: "session",
        userId: found.user.id,
        sessionId: found.session.id,
        email: found.user.email,
        name: found.user.name,
      },
      setCookies,
    };
  }

  /** The team a session acts in: the one asked for (when a member), else the first joined. */
  async activeTeam(userId: string, requested?: string): Promise<string | null> {
    const list = await this.teams.memberships(userId);
    if (requested) return list.find((m) => m.teamId === requested || m.slug === requested)?.teamId ?? null;
    return list[0]?.teamId ?? null;
  }

  async userCount(): Promise<number> {
    const r = await this.db
      .selectFrom("user")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async findUserByEmail(email: string) {
    return this.db
      .selectFrom("user")
      .select(["id", "email", "name"])
      .where("email", "=", email.toLowerCase())
      .executeTakeFirst();
  }

  validateNewUser(u: NewUser): void {
    if (!EMAIL_SHAPE.test(u.email)) throw badRequest("email is not a valid address");
    if (u.name.trim().length === 0 || u.name.length > 100) throw badRequest("name must be 1-100 characters");
    if (u.password.length < MIN_PASSWORD)
      throw badRequest(`password must be at least ${MIN_PASSWORD} characters`);
    if (u.password.length > 256) throw badRequest("password must be at most 256 characters");
  }

  /** Creates a user with a password credential, plus team membership, and audits it. */
  async createUser(
    u: NewUser,
    team: { slug: string; role: Role },
    ctx: AuditContext,
  ): Promise<{ userId: string; teamId: string }> {
    this.validateNewUser(u);
    const email = u.email.toLowerCase();
    if (await this.findUserByEmail(email))
      throw new ApiError("CONFLICT", "A user with that email already exists");
    const ac = await this.auth.$context;
    const passwordHash = await ac.password.hash(u.password);
    const user = await ac.internalAdapter.createUser(
      { email, name: u.name.trim(), emailVerified: true },
      { method: "admin" },
    );
    await ac.internalAdapter.linkAccount({
      userId: user.id,
      providerId: "credential",
      accountId: user.id,
      password: passwordHash,
    });
    const teamId = await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("user_security")
        .values({ user_id: user.id, failed_2fa_count: 0, locked_until: null, deleted_at: null })
        .execute();
      const tid = await this.teams.ensureTeam(trx, team.slug, team.slug, ctx);
      await this.teams.addMember(trx, tid, user.id, team.role, ctx);
      await this.audit.append(trx, ctx, {
        teamId: tid,
        action: "user.created",
        targetType: "user",
        targetId: user.id,
        payload: { email },
      });
      return tid;
    });
    return { userId: user.id, teamId };
  }

  /** Creates the invitee's account with the invitation's email and joins the team, in one step. */
  async signUpWithInvitation(
    token: string,
    name: string,
    password: string,
    ctx: AuditContext,
  ): Promise<string> {
    const inv = await this.db
      .selectFrom("invitations")
      .select(["email", "team_id"])
      .where("token_hash", "=", sha256Hex(token))
      .where("accepted_at", "is", null)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", this.clock.now())
      .executeTakeFirst();
    if (!inv) throw notFound("Invitation");
    if (await this.findUserByEmail(inv.email))
      throw new ApiError("CONFLICT", "An account with this email exists: sign in and accept the invitation");
    this.validateNewUser({ email: inv.email, name, password });
    const ac = await this.auth.$context;
    const passwordHash = await ac.password.hash(password);
    // Two racing sign-ups meet at the unique email: the loser gets the same 409 as a later attempt.
    const user = await ac.internalAdapter
      .createUser({ email: inv.email, name: name.trim(), emailVerified: true }, { method: "email-password" })
      .catch(async (err: unknown) => {
        if (await this.findUserByEmail(inv.email))
          throw new ApiError(
            "CONFLICT",
            "An account with this email exists: sign in and accept the invitation",
          );
        throw err;
      });
    try {
      await ac.internalAdapter.linkAccount({
        userId: user.id,
        providerId: "credential",
        accountId: user.id,
        password: passwordHash,
      });
      await this.db
        .insertInto("user_security")
        .values({ user_id: user.id, failed_2fa_count: 0, locked_until: null, deleted_at: null })
        .execute();
      await this.teams.acceptInvitation(user.id, inv.email, token, {
        ...ctx,
        actorType: "user",
        actorId: user.id,
      });
    } catch (err) {
      // The invitation went (revoked, expired or used meanwhile): no account without its team.
      await this.db.deleteFrom("user_security").where("user_id", "=", user.id).execute();
      await this.db.deleteFrom("account").where("userId", "=", user.id).execute();
      await this.db.deleteFrom("user").where("id", "=", user.id).execute();
      throw err;
    }
    return user.id;
  }

  async listSessions(userId: string, currentSessionId: string) {
    const rows = await this.db
      .selectFrom("session")
      .select(["id", "createdAt", "updatedAt", "expiresAt", "ipAddress", "userAgent"])
      .where("userId", "=", userId)
      .orderBy("createdAt", "desc")
      .execute();
    return rows.map((r) => ({
      id: r.id,
      current: r.id === currentSessionId,
      createdAt: new Date(r.createdAt).toISOString(),
      lastActiveAt: new Date(r.updatedAt).toISOString(),
      expiresAt: new Date(r.expiresAt).toISOString(),
      ip: r.ipAddress,
      userAgent: r.userAgent,
    }));
  }

  async revokeSession(userId: string, sessionId: string, ctx: AuditContext): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const res = await trx
        .deleteFrom("session")
        .where("id", "=", sessionId)
        .where("userId", "=", userId)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw notFound("Session");
      await this.audit.append(trx, ctx, {
        teamId: null,
        action: "session.revoked",
        targetType: "session",
        targetId: sessionId,
      });
    });
  }

  /** First start with no users: a one-time setup token (only its hash is stored), valid for an hour. */
  async issueSetupToken(): Promise<string | null> {
    if ((await this.userCount()) > 0) return null;
    const token = `setup_${randomString(32)}`;
    const now = this.clock.now();
    await this.db
      .insertInto("setup_tokens")
      .values({
        id: newId(),
        token_hash: sha256Hex(token),
        created_at: now,
        expires_at: now + SETUP_TTL_MS,
        used_at: null,
      })
      .execute();
    return token;
  }

  async setupStatus(): Promise<{ needsSetup: boolean }> {
    return { needsSetup: (await this.userCount()) === 0 };
  }

  /** Consumes a setup token and creates the first owner. Refused once any user exists. */
  async completeSetup(
    token: string,
    u: NewUser,
    teamSlug: string,
    ctx: AuditContext,
  ): Promise<{ userId: string; teamId: string }> {
    this.validateNewUser(u);
    const now = this.clock.now();
    const claimed = await this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable("setup_tokens")
        .set({ used_at: now })
        .where("token_hash", "=", sha256Hex(token))
        .where("used_at", "is", null)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    });
    if (!claimed)
      throw new ApiError(
        "FORBIDDEN",
        "Setup link is invalid, used or expired; restart the server for a new one",
      );
    if ((await this.userCount()) > 0) throw new ApiError("CONFLICT", "Setup is already complete");
    return this.createUser(u, { slug: teamSlug, role: "owner" }, { ...ctx, actorType: "system" });
  }

  /** GDPR portability: the user's own records, never secrets or hashes. */
  async exportData(userId: string) {
    const user = await this.db
      .selectFrom("user")
      .select(["id", "name", "email", "image", "createdAt"])
      .where("id", "=", userId)
      .executeTakeFirstOrThrow();
    const memberships = await this.teams.memberships(userId);
    const tokens = await this.tokens.list(userId);
    const runs = await this.db
      .selectFrom("runs")
      .select([
        "id",
        "team_id",
        "repo_id",
        "status",
        "source",
        "model",
        "prompt",
        "created_at",
        "finished_at",
      ])
      .where("user_id", "=", userId)
      .orderBy("created_at", "desc")
      .execute();
    const audit = await this.db
      .selectFrom("audit_events")
      .select(["id", "team_id", "action", "target_type", "target_id", "ip", "created_at"])
      .where((eb) => eb.or([eb("actor_id", "=", userId), eb("target_id", "=", userId)]))
      .orderBy("seq", "desc")
      .execute();
    return {
      exportedAt: iso(this.clock.now()),
      profile: {
        id: user.id,
        name: user.name,
        email: user.email,
        image: user.image,
        createdAt: new Date(user.createdAt).toISOString(),
      },
      memberships,
      tokens,
      runs: runs.map((r) => ({
        id: r.id,
        teamId: r.team_id,
        repoId: r.repo_id,
        status: r.status,
        source: r.source,
        model: r.model,
        prompt: r.prompt,
        createdAt: iso(Number(r.created_at)),
        finishedAt: iso(r.finished_at === null ? null : Number(r.finished_at)),
      })),
      auditEvents: audit.map((a) => ({
        id: a.id,
        teamId: a.team_id,
        action: a.action,
        targetType: a.target_type,
        targetId: a.target_id,
        ip: a.ip,
        createdAt: iso(Number(a.created_at)),
      })),
    };
  }

  /**
   * Irreversible: anonymises the profile, removes credentials, 2FA, sessions, tokens and memberships in one
   * transaction; rows that reference the user (runs, audit) keep the id, now pointing at an anonymous record.
   */
  async deleteAccount(userId: string, ctx: AuditContext): Promise<void> {
    const now = this.clock.now();
    const afterCommit = await this.db.transaction().execute(async (trx) => {
      const owned = await trx
        .selectFrom("team_members")
        .select("team_id")
        .where("user_id", "=", userId)
        .where("role", "=", "owner")
        .execute();
      for (const { team_id } of owned) {
        const other = await trx
          .selectFrom("team_members")
          .select("user_id")
          .where("team_id", "=", team_id)
          .where("role", "=", "owner")
          .where("user_id", "!=", userId)
          .executeTakeFirst();
        const members = await trx
          .selectFrom("team_members")
          .select("user_id")
          .where("team_id", "=", team_id)
          .where("user_id", "!=", userId)
          .executeTakeFirst();
        if (!other && members)
          throw new ApiError("CONFLICT", "Transfer ownership of your team before deleting your account");
      }
      const teams = await trx
        .selectFrom("team_members")
        .select("team_id")
        .where("user_id", "=", userId)
        .execute();
      // twoFactorEnabled: null rather than false, which SQLite cannot bind; Better Auth reads both as off.
      await trx
        .updateTable("user")
        .set({
          name: "Deleted user",
          email: `deleted+${userId}@deleted.invalid`,
          image: null,
          twoFactorEnabled: null,
        })
        .where("id", "=", userId)
        .execute();
      await trx.deleteFrom("session").where("userId", "=", userId).execute();
      await trx.deleteFrom("account").where("userId", "=", userId).execute();
      await trx.deleteFrom("twoFactor").where("userId", "=", userId).execute();
      // Better Auth's device-flow table is outside our typed schema.
      await sql`delete from "deviceCode" where "userId" = ${userId}`.execute(trx);
      await this.tokens.revokeAllForUser(trx, userId);
      await trx.deleteFrom("team_members").where("user_id", "=", userId).execute();
      await trx.updateTable("user_security").set({ deleted_at: now }).where("user_id", "=", userId).execute();
      for (const { team_id } of teams.length > 0 ? teams : [{ team_id: null }]) {
        await this.audit.append(trx, ctx, {
          teamId: team_id,
          action: "account.deleted",
          targetType: "user",
          targetId: userId,
        });
      }
      return this.teams.membershipChanged(trx, { kind: "deleted", userId, teamId: null });
    });
    await afterCommit();
  }
}

/**
 * Better Auth echoes the session token (the httpOnly cookie's value) in JSON bodies — sign-in, 2FA
 * verification, get-session. Page script must never see it, so it is removed; the cookie carries the session.
 */
export async function withoutSessionTokens(res: Response): Promise<Response> {
  if (!(res.headers.get("content-type") ?? "").includes("application/json")) return res;
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
  }
  if (json && typeof json === "object") {
    const o = json as { token?: unknown; session?: { token?: unknown } | null };
    delete o.token;
    if (o.session && typeof o.session === "object") delete o.session.token;
  }
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  return new Response(JSON.stringify(json), { status: res.status, statusText: res.statusText, headers });
}
