// OAuth grants: what a person allowed one MCP client (team, servers, tools, rate limit), recorded at consent, and
// the resource server's check of an access token. A grant is a gateway-key-like principal: the same allowlists,
// rate limit, request log and revocation broadcast (its key id is `oauth:<grant id>`).
import type { OAuthGrantSummary, PatPrincipal, Scope } from "@mogplex/contract";
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import { type Clock, iso } from "../clock.js";
import type { DB } from "../db/schema.js";
import { badRequest, failure, notFound } from "../failure.js";
import { checkAllowlists } from "../gateway/auth/allowlists.js";
import type { InvalidationBus } from "../gateway/auth/broadcast.js";
import type { GatewayPrincipal } from "../gateway/auth/keys.js";
import { allowlistOrThrow, storedAllowlist } from "../security/ip-allowlist.js";
import { newId } from "../security/random.js";
import { atLeast, type TeamService } from "../teams/service.js";
import { revokeTokens } from "./clients.js";
import { PLATFORM_RESOURCE_PATH, tokenDigest } from "./provider.js";
import {
  type GrantResource,
  type OAuthDB,
  type OAuthGrantsTable,
  stringList,
  toMs,
  withOAuth,
} from "./tables.js";

const CACHE_MAX = 10_000;
export const grantKeyId = (grantId: string) => `oauth:${grantId}`;

export interface GrantRequest {
  resource: GrantResource;
  /** Platform grants: the PAT scopes allowed (read, write). */
  scopes?: Scope[] | undefined;
  clientId: string;
  clientName: string;
  redirectHost: string;
  servers: "all" | string[];
  tools?: string[] | undefined;
  rateLimitRps?: number | undefined;
  ipAllowlist?: string[] | undefined;
}

export interface OAuthGrantDeps {
  db: Kysely<DB>;
  audit: AuditLog;
  clock: Clock;
  teams: TeamService;
  bus: InvalidationBus;
  defaultRps: number;
  cacheTtlMs: number;
  serverNames: (teamId: string) => Promise<Set<string>>;
}

/** A verified access token: its grant as a gateway principal, plus what the platform MCP needs. */
interface Verified {
  principal: GatewayPrincipal;
  kind: GrantResource;
  scopes: Scope[];
  /** The token's audience (RFC 8707 resources it was issued for). */
  resources: string[];
}
interface CacheEntry extends Verified {
  cachedAt: number;
}

export class OAuthGrantService {
  private readonly db: Kysely<OAuthDB>;
  /** Verified access tokens by digest (never the token itself). */
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lastUsed = new Map<string, number>();
  private epoch = 0;

  constructor(private readonly d: OAuthGrantDeps) {
    this.db = withOAuth(d.db);
    d.bus.subscribe((msg) => {
      if (msg.kind === "all" || (msg.kind === "key" && msg.keyId.startsWith("oauth:"))) {
        this.epoch++;
        if (msg.kind === "all") this.cache.clear();
        else for (const [k, e] of this.cache) if (e.principal.keyId === msg.keyId) this.cache.delete(k);
      }
    });
  }

  /** Records a consent: the live grant of this client for this person is replaced (audited). */
  async record(userId: string, teamId: string, req: GrantRequest, ctx: AuditContext): Promise<string> {
    const role = await this.d.teams.roleOf(userId, teamId);
    if (!atLeast(role, "member")) throw failure("FORBIDDEN", "Viewers cannot connect apps to the gateway");
    const platform = req.resource === "platform";
    const servers = platform || req.servers === "all" ? null : [...new Set(req.servers)];
    const tools = !platform && req.tools && req.tools.length > 0 ? [...new Set(req.tools)] : null;
    const scopes = platform ? [...new Set(req.scopes ?? [])] : null;
    if (scopes && scopes.length === 0) throw badRequest("scopes: choose read, write or both");
    if (servers && servers.length === 0) throw badRequest("servers: choose at least one server or tool");
    await checkAllowlists(() => this.d.serverNames(teamId), servers, tools, "app");
    const ipAllowlist = allowlistOrThrow(req.ipAllowlist);
    const now = this.d.clock.now();
    const row: OAuthGrantsTable = {
      id: newId(),
      client_id: req.clientId,
      client_name: req.clientName,
      redirect_host: req.redirectHost,
      team_id: teamId,
      user_id: userId,
      servers: servers ? JSON.stringify(servers) : null,
      tools: tools ? JSON.stringify(tools) : null,
      rate_limit_rps: req.rateLimitRps ?? null,
      ip_allowlist: ipAllowlist,
      resource: req.resource,
      scopes: scopes ? JSON.stringify(scopes) : null,
      created_at: now,
      last_used_at: null,
      revoked_at: null,
    };
    const replaced = await this.db.transaction().execute(async (trx) => {
      const old = await trx
        .updateTable("oauth_grants")
        .set({ revoked_at: now })
        .where("client_id", "=", req.clientId)
        .where("user_id", "=", userId)
        .where("resource", "=", req.resource)
        .where("revoked_at", "is", null)
        .returning("id")
        .execute();
      await trx.insertInto("oauth_grants").values(row).execute();
      await this.d.audit.append(trx as unknown as Kysely<DB>, ctx, {
        teamId,
        action: "oauth_grant.created",
        targetType: "oauth_grant",
        targetId: row.id,
        payload: {
          client: req.clientName,
          clientId: req.clientId,
          redirectHost: req.redirectHost,
          resource: req.resource,
          ...(scopes ? { scopes } : { servers: servers ?? "all", tools }),
        },
      });
      return old.map((o) => o.id);
    });
    for (const id of replaced) await this.d.bus.publish({ kind: "key", keyId: grantKeyId(id) });
    return row.id;
  }

  private summary(r: OAuthGrantsTable): OAuthGrantSummary {
    const last = this.lastUsed.get(r.id) ?? (r.last_used_at === null ? null : Number(r.last_used_at));
    return {
      id: r.id,
      clientId: r.client_id,
      clientName: r.client_name,
      redirectHost: r.redirect_host,
      resource: r.resource,
      scopes: r.scopes === null ? null : (JSON.parse(r.scopes) as string[]),
      userId: r.user_id,
      servers: r.servers === null ? "all" : (JSON.parse(r.servers) as string[]),
      tools: r.tools === null ? null : (JSON.parse(r.tools) as string[]),
      rateLimitRps: r.rate_limit_rps === null ? this.d.defaultRps : Number(r.rate_limit_rps),
      createdAt: iso(Number(r.created_at)),
      lastUsedAt: iso(last),
    };
  }

  /** A member sees the apps they connected; an owner or admin every app connected in the team. */
  async list(userId: string, teamId: string): Promise<OAuthGrantSummary[]> {
    const role = await this.d.teams.roleOf(userId, teamId);
    let q = this.db
      .selectFrom("oauth_grants")
      .selectAll()
      .where("team_id", "=", teamId)
      .where("revoked_at", "is", null);
    if (!atLeast(role, "admin")) q = q.where("user_id", "=", userId);
    const rows = await q.orderBy("created_at", "desc").orderBy("id", "desc").execute();
    return rows.map((r) => this.summary(r));
  }

  /** Revokes the grant and every token of its client for its person; refused everywhere on the next request. */
  async revoke(actorId: string, id: string, ctx: AuditContext): Promise<void> {
    const now = this.d.clock.now();
    await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom("oauth_grants").selectAll().where("id", "=", id).executeTakeFirst();
      if (!row || row.revoked_at !== null) throw notFound("Connected app");
      const member = await trx
        .selectFrom("team_members")
        .select("role")
        .where("team_id", "=", row.team_id)
        .where("user_id", "=", actorId)
        .executeTakeFirst();
      const mine = row.user_id === actorId;
      if (!member || (!mine && !atLeast(member.role, "admin"))) throw notFound("Connected app");
      await trx.updateTable("oauth_grants").set({ revoked_at: now }).where("id", "=", id).execute();
      await revokeTokens(trx as unknown as Kysely<DB>, row.user_id, [row.client_id], now);
      // The next authorization asks for consent again.
      await trx
        .deleteFrom("oauthConsent")
        .where("clientId", "=", row.client_id)
        .where("userId", "=", row.user_id)
        .execute();
      await this.d.audit.append(trx as unknown as Kysely<DB>, ctx, {
        teamId: row.team_id,
        action: "oauth_grant.revoked",
        targetType: "oauth_grant",
        targetId: id,
        payload: { client: row.client_name, clientId: row.client_id },
      });
    });
    await this.d.bus.publish({ kind: "key", keyId: grantKeyId(id) });
  }

  /** Key ids (`oauth:<grant>`) of a member's live grants in a team: a role change drops them from every cache. */
  async liveKeyIds(trx: Kysely<DB>, userId: string, teamId: string): Promise<string[]> {
    const rows = await withOAuth(trx)
      .selectFrom("oauth_grants")
      .select("id")
      .where("user_id", "=", userId)
      .where("team_id", "=", teamId)
      .where("revoked_at", "is", null)
      .execute();
    return rows.map((r) => grantKeyId(r.id));
  }

  /**
   * Leaving a team (or the account going): the person's live grants there are revoked with their tokens, in the
   * caller's transaction; returns their key ids to broadcast once it has committed.
   */
  async revokeAllForUser(trx: Kysely<DB>, userId: string, teamId?: string): Promise<string[]> {
    const db = withOAuth(trx);
    let q = db.selectFrom("oauth_grants").select(["id", "client_id"]).where("user_id", "=", userId);
    if (teamId) q = q.where("team_id", "=", teamId);
    const rows = await q.where("revoked_at", "is", null).execute();
    if (rows.length === 0) return [];
    const now = this.d.clock.now();
    const ids = rows.map((r) => r.id);
    const clients = [...new Set(rows.map((r) => r.client_id))];
    await db.updateTable("oauth_grants").set({ revoked_at: now }).where("id", "in", ids).execute();
    await revokeTokens(trx, userId, clients, now);
    return ids.map(grantKeyId);
  }

  /** An access token for the MCP gateway at `resource`: its grant as a gateway-key-like principal. */
  async authenticate(token: string, resource: string): Promise<GatewayPrincipal | null> {
    const v = await this.verify(token, resource, "gateway");
    return v ? v.principal : null;
  }

  /** An access token for the platform MCP at `resource`: a PAT-like principal with the grant's scopes. */
  async authenticatePlatform(token: string, resource: string): Promise<PatPrincipal | null> {
    const v = await this.verify(token, resource, "platform");
    if (!v) return null;
    const p = v.principal;
    return {
      kind: "pat",
      userId: p.userId,
      teamId: p.teamId,
      role: p.role,
      tokenId: p.keyId,
      scopes: v.scopes,
      client: "api",
      ipAllowlist: p.ipAllowlist,
    };
  }

  /**
   * A live access token (not revoked, not expired) bound to exactly `resource`, of a live grant for that kind of
   * resource whose person is still a member (not a viewer). Cached by digest for a short while; revocation and
   * every broadcast drop it.
   */
  private async verify(token: string, resource: string, kind: GrantResource): Promise<Verified | null> {
    if (token.length < 16 || token.length > 512) return null;
    const digest = tokenDigest(token, "access_token");
    const now = this.d.clock.now();
    let found: Verified | null | undefined;
    const hit = this.cache.get(digest);
    if (hit && now - hit.cachedAt < this.d.cacheTtlMs) found = hit;
    else {
      const epoch = this.epoch;
      found = await this.lookup(digest, now);
      if (found && epoch === this.epoch) {
        this.cache.set(digest, { ...found, cachedAt: now });
        while (this.cache.size > CACHE_MAX) {
          const oldest = this.cache.keys().next();
          if (oldest.done) break;
          this.cache.delete(oldest.value);
        }
      }
    }
    if (!found) return null;
    if (found.principal.expiresAt !== null && now >= found.principal.expiresAt) {
      this.cache.delete(digest);
      return null;
    }
    if (found.kind !== kind || !(found.resources.length === 1 && found.resources[0] === resource))
      return null;
    this.lastUsed.set(found.principal.id, now);
    return found;
  }

  private async lookup(digest: string, now: number): Promise<Verified | null> {
    const tok = await this.db
      .selectFrom("oauthAccessToken")
      .select(["clientId", "userId", "resources", "expiresAt", "createdAt", "revoked"])
      .where("token", "=", digest)
      .executeTakeFirst();
    if (!tok || tok.revoked !== null || !tok.userId) return null;
    const expiresAt = toMs(tok.expiresAt);
    if (!(now < expiresAt)) return null;
    const resources = stringList(tok.resources);
    // The grant of the kind of resource the token was issued for (one live grant per client, person, resource).
    const kind: GrantResource = resources.some((r) => r.endsWith(PLATFORM_RESOURCE_PATH))
      ? "platform"
      : "gateway";
    const grant = await this.db
      .selectFrom("oauth_grants as g")
      .innerJoin("team_members as m", (j) =>
        j.onRef("m.team_id", "=", "g.team_id").onRef("m.user_id", "=", "g.user_id"),
      )
      .select([
        "g.id",
        "g.team_id",
        "g.user_id",
        "g.servers",
        "g.tools",
        "g.rate_limit_rps",
        "g.ip_allowlist",
      ])
      .select(["g.scopes", "m.role"])
      .where("g.client_id", "=", tok.clientId)
      .where("g.user_id", "=", tok.userId)
      .where("g.resource", "=", kind)
      .where("g.revoked_at", "is", null)
      .executeTakeFirst();
    if (!grant || grant.role === "viewer") return null;
    const principal: GatewayPrincipal = {
      id: grant.id,
      keyId: grantKeyId(grant.id),
      teamId: grant.team_id,
      userId: grant.user_id,
      role: grant.role,
      servers: grant.servers === null ? "all" : (JSON.parse(grant.servers) as string[]),
      tools: grant.tools === null ? null : (JSON.parse(grant.tools) as string[]),
      rps: grant.rate_limit_rps === null ? this.d.defaultRps : Number(grant.rate_limit_rps),
      ipAllowlist: storedAllowlist(grant.ip_allowlist),
      expiresAt,
    };
    const scopes = grant.scopes === null ? [] : (JSON.parse(grant.scopes) as Scope[]);
    return { principal, kind, scopes, resources };
  }

  /** Batched last-used writes, off the request path. */
  async flushLastUsed(): Promise<void> {
    if (this.lastUsed.size === 0) return;
    const batch = [...this.lastUsed];
    this.lastUsed.clear();
    for (const [id, at] of batch)
      await this.db.updateTable("oauth_grants").set({ last_used_at: at }).where("id", "=", id).execute();
  }
}
