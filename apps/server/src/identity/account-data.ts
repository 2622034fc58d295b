// The account's own data: GDPR export and irreversible deletion (anonymise, remove credentials, audit).
import { type Kysely, sql } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import { type Clock, iso } from "../clock.js";
import type { DB } from "../db/schema.js";
import { failure } from "../failure.js";
import type { TeamService } from "../teams/service.js";
import type { TokenService } from "../tokens/service.js";

export interface AccountDataDeps {
  db: Kysely<DB>;
  audit: AuditLog;
  clock: Clock;
  teams: TeamService;
  tokens: TokenService;
}

export class AccountData {
  constructor(private readonly d: AccountDataDeps) {}

  /** GDPR portability: the user's own records, never secrets or hashes. */
  async exportData(userId: string) {
    const user = await this.d.db
      .selectFrom("user")
      .select(["id", "name", "email", "image", "createdAt"])
      .where("id", "=", userId)
      .executeTakeFirstOrThrow();
    const memberships = await this.d.teams.memberships(userId);
    const tokens = await this.d.tokens.list(userId);
    const runs = await this.d.db
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
    const audit = await this.d.db
      .selectFrom("audit_events")
      .select(["id", "team_id", "action", "target_type", "target_id", "ip", "created_at"])
      .where((eb) => eb.or([eb("actor_id", "=", userId), eb("target_id", "=", userId)]))
      .orderBy("seq", "desc")
      .execute();
    return {
      exportedAt: iso(this.d.clock.now()),
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
    const now = this.d.clock.now();
    const afterCommit = await this.d.db.transaction().execute(async (trx) => {
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
          throw failure("CONFLICT", "Transfer ownership of your team before deleting your account");
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
      await this.d.tokens.revokeAllForUser(trx, userId);
      await trx.deleteFrom("team_members").where("user_id", "=", userId).execute();
      await trx.updateTable("user_security").set({ deleted_at: now }).where("user_id", "=", userId).execute();
      for (const { team_id } of teams.length > 0 ? teams : [{ team_id: null }]) {
        await this.d.audit.append(trx, ctx, {
          teamId: team_id,
          action: "account.deleted",
          targetType: "user",
          targetId: userId,
        });
      }
      return this.d.teams.membershipChanged(trx, { kind: "deleted", userId, teamId: null });
    });
    await afterCommit();
  }
}
