// Builds the Identity service: Better Auth over our database, with sign-in outcomes written to the audit log.
import type { AuditLog } from "../audit/store.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/connect.js";
import type { TeamService } from "../teams/service.js";
import type { TokenService } from "../tokens/service.js";
import { type AuthEvent, type AuthEventKind, createAuth } from "./auth.js";
import { Identity } from "./service.js";

export { Identity };

// A finished sign-in, or a change made from a signed-in session, is the user acting; a failed or half-done
// sign-in is someone trying, so the account is only the target.
const ACTS_AS_USER: ReadonlySet<AuthEventKind> = new Set([
  "sign_in",
  "two_factor_enabled",
  "two_factor_failed",
  "two_factor_disabled",
  "backup_codes_regenerated",
  "password_changed",
]);

export interface IdentityDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  teams: TeamService;
  tokens: TokenService;
  authSecret: string;
  baseURL: string;
  trustedOrigins: string[];
}

export function createIdentity(d: IdentityDeps): Identity {
  const record = async (e: AuthEvent): Promise<void> => {
    let userId = e.userId;
    if (!userId && e.email) {
      const u = await d.db.db
        .selectFrom("user")
        .select("id")
        .where("email", "=", e.email.toLowerCase())
        .executeTakeFirst();
      userId = u?.id ?? null;
    }
    let locked: boolean | undefined;
    if (userId && e.kind === "sign_in_failed" && e.path.startsWith("/two-factor/")) {
      const tf = await d.db.db
        .selectFrom("twoFactor")
        .select("lockedUntil")
        .where("userId", "=", userId)
        .executeTakeFirst();
      // Better Auth sets and checks the lock on the wall clock, so this does too.
      locked = tf?.lockedUntil ? new Date(tf.lockedUntil).getTime() > Date.now() : false;
    }
    const teams = userId ? await d.teams.memberships(userId) : [];
    await d.db.db.transaction().execute(async (trx) => {
      for (const teamId of teams.length > 0 ? teams.map((t) => t.teamId) : [null]) {
        await d.audit.append(
          trx,
          {
            actorType: userId && ACTS_AS_USER.has(e.kind) ? "user" : "anonymous",
            actorId: userId && ACTS_AS_USER.has(e.kind) ? userId : null,
            requestId: e.requestId,
            ip: e.ip,
            userAgent: e.userAgent,
            authSource: "session",
          },
          {
            teamId,
            action: `auth.${e.kind}`,
            targetType: "user",
            targetId: userId,
            payload: { provider: "credential", step: e.path, email: e.email, reason: e.reason, locked },
          },
        );
      }
    });
  };
  const auth = createAuth({
    db: d.db.db,
    dialect: d.db.dialect,
    secret: d.authSecret,
    baseURL: d.baseURL,
    trustedOrigins: d.trustedOrigins,
    onAuthEvent: record,
  });
  return new Identity(auth, d.db.db, d.audit, d.clock, d.teams, d.tokens);
}
