// Teams, memberships, roles and hashed single-use invitations; every change is audited in its transaction.
import { type Role, roleAtLeast, type TeamMember } from "@mogplex/contract";
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import { type Clock, iso } from "../clock.js";
import type { DB } from "../db/schema.js";
import { badRequest, failure, notFound } from "../failure.js";
import { newId, randomString, sha256Hex } from "../security/random.js";

export { isRole, ROLES } from "@mogplex/contract";

const INVITE_TTL_MS = 7 * 86_400_000;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

export const atLeast = roleAtLeast;

export interface Membership {
  teamId: string;
  slug: string;
  name: string;
  role: Role;
}

/** A membership that changed: removed from one team, every one ended by account deletion, or a new role. */
export type MembershipChange =
  | { kind: "removed"; userId: string; teamId: string }
  | { kind: "deleted"; userId: string; teamId: null }
  | { kind: "role"; userId: string; teamId: string; role: Role };

/**
 * Runs inside the transaction that makes the change; returns what must happen once it has committed
 * (e.g. dropping caches on every replica).
 */
export type MembershipHook = (
  trx: Kysely<DB>,
  change: MembershipChange,
) => Promise<(() => Promise<void>) | undefined>;

export class TeamService {
  private readonly hooks: MembershipHook[] = [];

  constructor(
    private readonly db: Kysely<DB>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** Services holding per-member credentials (gateway keys) follow the change in the same transaction. */
  onMembershipChanged(hook: MembershipHook): void {
    this.hooks.push(hook);
  }

  /** Called inside the changing transaction; the returned function runs the hooks' after-commit work. */
  async membershipChanged(trx: Kysely<DB>, change: MembershipChange): Promise<() => Promise<void>> {
    const after: Array<() => Promise<void>> = [];
    for (const hook of this.hooks) {
      const a = await hook(trx, change);
      if (a) after.push(a);
    }
    return async () => {
      for (const a of after) await a();
    };
  }

  async findBySlug(slug: string) {
    return this.db.selectFrom("teams").selectAll().where("slug", "=", slug).executeTakeFirst();
  }

  /** Creates the team if it doesn't exist; returns its id. */
  async ensureTeam(trx: Kysely<DB>, slug: string, name: string, ctx: AuditContext): Promise<string> {
    if (!SLUG.test(slug)) throw badRequest("team slug must be 1-40 lowercase letters, digits or dashes");
    const existing = await trx.selectFrom("teams").select("id").where("slug", "=", slug).executeTakeFirst();
    if (existing) return existing.id;
    const id = newId();
    await trx
      .insertInto("teams")
      .values({ id, slug, name, allowed_models: null, default_model: null, created_at: this.clock.now() })
      .execute();
    await this.audit.append(trx, ctx, {
      teamId: id,
      action: "team.created",
      targetType: "team",
      targetId: id,
      payload: { slug },
    });
    return id;
  }

  async addMember(
    trx: Kysely<DB>,
    teamId: string,
    userId: string,
    role: Role,
    ctx: AuditContext,
  ): Promise<void> {
    const existing = await trx
      .selectFrom("team_members")
      .select("role")
      .where("team_id", "=", teamId)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (existing) {
      if (existing.role === role) return;
      await trx
        .updateTable("team_members")
        .set({ role })
        .where("team_id", "=", teamId)
        .where("user_id", "=", userId)
        .execute();
      await this.audit.append(trx, ctx, {
        teamId,
        action: "member.role_changed",
        targetType: "user",
        targetId: userId,
        payload: { from: existing.role, to: role },
      });
      return;
    }
    await trx
      .insertInto("team_members")
      .values({ team_id: teamId, user_id: userId, role, created_at: this.clock.now() })
      .execute();
    await this.audit.append(trx, ctx, {
      teamId,
      action: "member.added",
      targetType: "user",
      targetId: userId,
      payload: { role },
    });
  }

  async memberships(userId: string): Promise<Membership[]> {
    const rows = await this.db
      .selectFrom("team_members as m")
      .innerJoin("teams as t", "t.id", "m.team_id")
      .select(["t.id", "t.slug", "t.name", "m.role"])
      .where("m.user_id", "=", userId)
      .orderBy("m.created_at", "asc")
      .execute();
    return rows.map((r) => ({ teamId: r.id, slug: r.slug, name: r.name, role: r.role }));
  }

  /** The caller's role in a team, or 404 when they are not a member (no existence oracle). */
  async roleOf(userId: string, teamId: string): Promise<Role> {
    const row = await this.db
      .selectFrom("team_members")
      .select("role")
      .where("team_id", "=", teamId)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (!row) throw notFound("Team");
    return row.role;
  }

  async listMembers(teamId: string) {
    const rows = await this.db
      .selectFrom("team_members as m")
      .innerJoin("user as u", "u.id", "m.user_id")
      .select(["u.id", "u.name", "u.email", "m.role", "m.created_at"])
      .where("m.team_id", "=", teamId)
      .orderBy("m.created_at", "asc")
      .execute();
    return rows.map((r) => ({
      userId: r.id,
      name: r.name,
      email: r.email,
      role: r.role,
      joinedAt: iso(Number(r.created_at)),
    }));
  }

  /** `actor` is an admin or owner of the team (the session table's minimum for the route). */
  async changeRole(actor: TeamMember, userId: string, role: Role, ctx: AuditContext): Promise<void> {
    const { teamId, role: actorRole } = actor;
    const afterCommit = await this.db.transaction().execute(async (trx) => {
      const target = await trx
        .selectFrom("team_members")
        .select("role")
        .where("team_id", "=", teamId)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      if (!target) throw notFound("Member");
      if ((target.role === "owner" || role === "owner") && actorRole !== "owner") {
        throw failure("FORBIDDEN", "Only an owner can grant or change the owner role");
      }
      if (target.role === "owner" && role !== "owner") await this.assertAnotherOwner(trx, teamId, userId);
      await this.addMember(trx, teamId, userId, role, ctx);
      return this.membershipChanged(trx, { kind: "role", userId, teamId, role });
    });
    await afterCommit();
  }

  /** Any member may leave; removing someone else takes an admin (a rule about the target, so it lives here). */
  async removeMember(actor: TeamMember, userId: string, ctx: AuditContext): Promise<void> {
    const { teamId, role: actorRole } = actor;
    if (actor.userId !== userId && !roleAtLeast(actorRole, "admin")) {
      throw failure("FORBIDDEN", "This action needs the admin role or higher");
    }
    const afterCommit = await this.db.transaction().execute(async (trx) => {
      const target = await trx
        .selectFrom("team_members")
        .select("role")
        .where("team_id", "=", teamId)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      if (!target) throw notFound("Member");
      if (target.role === "owner" && actorRole !== "owner")
        throw failure("FORBIDDEN", "Only an owner can remove an owner");
      if (target.role === "owner") await this.assertAnotherOwner(trx, teamId, userId);
      await trx
        .deleteFrom("team_members")
        .where("team_id", "=", teamId)
        .where("user_id", "=", userId)
        .execute();
      await this.audit.append(trx, ctx, {
        teamId,
        action: "member.removed",
        targetType: "user",
        targetId: userId,
      });
      return this.membershipChanged(trx, { kind: "removed", userId, teamId });
    });
    await afterCommit();
  }

  private async assertAnotherOwner(trx: Kysely<DB>, teamId: string, userId: string): Promise<void> {
    const other = await trx
      .selectFrom("team_members")
      .select("user_id")
      .where("team_id", "=", teamId)
      .where("role", "=", "owner")
      .where("user_id", "!=", userId)
      .executeTakeFirst();
    if (!other) throw failure("CONFLICT", "A team needs at least one owner");
  }

  /** Returns the plaintext token once; only its SHA-256 is stored. */
  async invite(actor: TeamMember, email: string, role: Role, ctx: AuditContext) {
    const { userId: actorId, teamId, role: actorRole } = actor;
    if (role === "owner" && actorRole !== "owner")
      throw failure("FORBIDDEN", "Only an owner can invite an owner");
    const token = `inv_${randomString(32)}`;
    const now = this.clock.now();
    const id = newId();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("invitations")
        .values({
          id,
          team_id: teamId,
          email: email.toLowerCase(),
          role,
          token_hash: sha256Hex(token),
          invited_by: actorId,
          created_at: now,
          expires_at: now + INVITE_TTL_MS,
          accepted_at: null,
          accepted_by: null,
          revoked_at: null,
        })
        .execute();
      await this.audit.append(trx, ctx, {
        teamId,
        action: "invitation.created",
        targetType: "invitation",
        targetId: id,
        payload: { email, role },
      });
    });
    return { id, token, email: email.toLowerCase(), role, expiresAt: iso(now + INVITE_TTL_MS) };
  }

  async listInvitations(teamId: string) {
    const rows = await this.db
      .selectFrom("invitations")
      .select(["id", "email", "role", "created_at", "expires_at", "accepted_at", "revoked_at"])
      .where("team_id", "=", teamId)
      .orderBy("created_at", "desc")
      .execute();
    const now = this.clock.now();
    return rows.map((r) => ({
      id: r.id,
      email: r.email,
      role: r.role,
      createdAt: iso(Number(r.created_at)),
      expiresAt: iso(Number(r.expires_at)),
      status: r.accepted_at
        ? "accepted"
        : r.revoked_at
          ? "revoked"
          : Number(r.expires_at) <= now
            ? "expired"
            : "pending",
    }));
  }

  async revokeInvitation(teamId: string, id: string, ctx: AuditContext): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable("invitations")
        .set({ revoked_at: this.clock.now() })
        .where("id", "=", id)
        .where("team_id", "=", teamId)
        .where("accepted_at", "is", null)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw notFound("Invitation");
      await this.audit.append(trx, ctx, {
        teamId,
        action: "invitation.revoked",
        targetType: "invitation",
        targetId: id,
      });
    });
  }

  /** Single use: the update only matches an open, unexpired invitation, so a second accept finds nothing. */
  async acceptInvitation(
    userId: string,
    email: string,
    token: string,
    ctx: AuditContext,
  ): Promise<Membership> {
    const now = this.clock.now();
    return this.db.transaction().execute(async (trx) => {
      const inv = await trx
        .selectFrom("invitations")
        .selectAll()
        .where("token_hash", "=", sha256Hex(token))
        .where("accepted_at", "is", null)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      if (!inv || inv.email !== email.toLowerCase()) throw notFound("Invitation");
      // Accepting must never change an existing role (it would bypass the role rules, e.g. the last owner).
      const already = await trx
        .selectFrom("team_members")
        .select("role")
        .where("team_id", "=", inv.team_id)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      if (already) throw failure("CONFLICT", "You are already a member of this team");
      // Conditional, so a concurrent accept that read the same open row finds nothing left to claim.
      const claimed = await trx
        .updateTable("invitations")
        .set({ accepted_at: now, accepted_by: userId })
        .where("id", "=", inv.id)
        .where("accepted_at", "is", null)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) throw notFound("Invitation");
      await this.audit.append(trx, ctx, {
        teamId: inv.team_id,
        action: "invitation.accepted",
        targetType: "invitation",
        targetId: inv.id,
      });
      await this.addMember(trx, inv.team_id, userId, inv.role, ctx);
      const team = await trx
        .selectFrom("teams")
        .select(["slug", "name"])
        .where("id", "=", inv.team_id)
        .executeTakeFirstOrThrow();
      return { teamId: inv.team_id, slug: team.slug, name: team.name, role: inv.role };
    });
  }
}
