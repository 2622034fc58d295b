// Builds the Identity service: Better Auth over our database, with sign-in outcomes written to the audit log.
import type { AuditLog } from "../audit/store.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/connect.js";
import type { TeamService } from "../teams/service.js";
import type { TokenService } from "../tokens/service.js";
import { createAuth, type SignInEvent } from "./auth.js";
import { Identity } from "./service.js";

export { Identity };

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
  const recordSignIn = async (e: SignInEvent): Promise<void> => {
    let userId = e.userId;
    if (!userId && e.email) {
      const u = await d.db.db
        .selectFrom("user")
        .select("id")
        .where("email", "=", e.email.toLowerCase())
        .executeTakeFirst();
      userId = u?.id ?? null;
    }
    const teams = userId ? await d.teams.memberships(userId) : [];
    const action =
      e.outcome === "success"
        ? "auth.sign_in"
        : e.outcome === "failure"
          ? "auth.sign_in_failed"
          : "auth.second_factor_required";
    await d.db.db.transaction().execute(async (trx) => {
      for (const teamId of teams.length > 0 ? teams.map((t) => t.teamId) : [null]) {
        await d.audit.append(
          trx,
          {
            actorType: userId ? "user" : "anonymous",
            actorId: userId,
            ip: e.ip,
            userAgent: e.userAgent,
            authSource: "session",
          },
          {
            teamId,
            action,
            targetType: "user",
            targetId: userId,
            payload: { provider: "credential", step: e.path, email: e.email, reason: e.reason },
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
    onSignIn: recordSignIn,
  });
  return new Identity(auth, d.db.db, d.audit, d.clock, d.teams, d.tokens);
}
