// People and sessions around Better Auth: user creation, session lookup with absolute expiry,
// session revocation and first-run setup. Better Auth forwarding is in auth-bridge.ts, export and deletion
// in account-data.ts.

import type { Role, SessionPrincipal } from "@mogplex/contract";
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import type { Clock } from "../clock.js";
import type { DB } from "../db/schema.js";
import { isDatabaseUnavailable } from "../db/unavailable.js";
import { badRequest, failure, notFound } from "../failure.js";
import { newId, randomString, sha256Hex } from "../security/random.js";
import type { TeamService } from "../teams/service.js";
import type { TokenService } from "../tokens/service.js";
import { AccountData } from "./account-data.js";
import { type Auth, EMAIL_SHAPE, MIN_PASSWORD, SESSION_ABSOLUTE_MS } from "./auth.js";
import { type ForwardMeta, forwardToBetterAuth } from "./auth-bridge.js";

const SETUP_TTL_MS = 3_600_000;

export interface NewUser {
  email: string;
  name: string;
  password: string;
}

export class Identity {
  private readonly account: AccountData;

  constructor(
    readonly auth: Auth,
    private readonly db: Kysely<DB>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly teams: TeamService,
    tokens: TokenService,
  ) {
    this.account = new AccountData({ db, audit, clock, teams, tokens });
  }

  /** Mounts Better Auth (see auth-bridge.ts). */
  handle(req: Request, meta: ForwardMeta): Promise<Response> {
    return forwardToBetterAuth(this.auth, req, meta);
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
    if (await this.findUserByEmail(email)) throw failure("CONFLICT", "A user with that email already exists");
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
      throw failure("CONFLICT", "An account with this email exists: sign in and accept the invitation");
    this.validateNewUser({ email: inv.email, name, password });
    const ac = await this.auth.$context;
    const passwordHash = await ac.password.hash(password);
    // Two racing sign-ups meet at the unique email: the loser gets the same 409 as a later attempt.
    const user = await ac.internalAdapter
      .createUser({ email: inv.email, name: name.trim(), emailVerified: true }, { method: "email-password" })
      .catch(async (err: unknown) => {
        if (await this.findUserByEmail(inv.email))
          throw failure("CONFLICT", "An account with this email exists: sign in and accept the invitation");
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
      throw failure("FORBIDDEN", "Setup link is invalid, used or expired; restart the server for a new one");
    if ((await this.userCount()) > 0) throw failure("CONFLICT", "Setup is already complete");
    return this.createUser(u, { slug: teamSlug, role: "owner" }, { ...ctx, actorType: "system" });
  }

  /** GDPR portability: the user's own records, never secrets or hashes. */
  exportData(userId: string) {
    return this.account.exportData(userId);
  }

  /** Irreversible account deletion (see AccountData.deleteAccount). */
  deleteAccount(userId: string, ctx: AuditContext): Promise<void> {
    return this.account.deleteAccount(userId, ctx);
  }
}
