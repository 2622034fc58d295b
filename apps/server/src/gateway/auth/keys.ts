// Gateway keys: mint (Argon2id-hashed secret), list, revoke, rotate, and verification behind an in-memory cache.

import { createHash, timingSafeEqual } from "node:crypto";
import type { CreatedGatewayKey, CreateGatewayKeyRequest, GatewayKeySummary, Role } from "@mogplex/contract";
import { hash as argonHash, verify as argonVerify } from "@node-rs/argon2";
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../../audit/store.js";
import { type Clock, iso } from "../../clock.js";
import type { DB, GatewayKeysTable } from "../../db/schema.js";
import { failure, notFound } from "../../failure.js";
import { allowlistOrThrow, type IpAllowlist, storedAllowlist } from "../../security/ip-allowlist.js";
import { newId } from "../../security/random.js";
import { atLeast, type TeamService } from "../../teams/service.js";
import { checkAllowlists } from "./allowlists.js";
import type { InvalidationBus } from "./broadcast.js";
import {
  displayPrefix,
  GATEWAY_KEY_LENGTH,
  GATEWAY_KEY_PREFIX,
  mintGatewayKey,
  parseGatewayKey,
} from "./key-format.js";

// OWASP's Argon2id baseline, as for passwords. 2 = Argon2id (the enum is const, erased at runtime).
const ARGON = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const DAY = 86_400_000;
const CACHE_MAX = 10_000;

export interface GatewayPrincipal {
  id: string;
  keyId: string;
  teamId: string;
  userId: string;
  role: Role;
  servers: "all" | string[];
  tools: string[] | null;
  rps: number;
  expiresAt: number | null;
  /** Addresses the key may be used from; null = any. */
  ipAllowlist: IpAllowlist | null;
}

interface CacheEntry {
  digest: Buffer; // SHA-256 of the whole key string: the plaintext is never kept in memory
  principal: GatewayPrincipal;
  cachedAt: number;
}

export interface GatewayKeyDeps {
  db: Kysely<DB>;
  audit: AuditLog;
  clock: Clock;
  teams: TeamService;
  hmacKey: Buffer;
  bus: InvalidationBus;
  defaultRps: number;
  cacheTtlMs: number;
  serverNames: (teamId: string) => Promise<Set<string>>;
}

const digestOf = (secret: string) => createHash("sha256").update(secret).digest();

export class GatewayKeyService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<GatewayPrincipal | null>>();
  private readonly lastUsed = new Map<string, number>();
  private readonly revokedListeners: Array<(keyId: string) => void> = [];
  /** Bumped on every invalidation, so a cold verify that raced a revocation never caches what it read. */
  private epoch = 0;

  constructor(private readonly d: GatewayKeyDeps) {
    d.bus.subscribe((msg) => {
      if (msg.kind === "key") this.dropLocal(msg.keyId);
      if (msg.kind === "all") {
        // Messages may have been missed: forget every verified key (sessions stay; each request re-verifies).
        this.epoch++;
        this.cache.clear();
      }
    });
  }

  /** Called with the key id whenever a key stops being valid as it was (revoked, rotated, expired). */
  onInvalidated(listener: (keyId: string) => void): void {
    this.revokedListeners.push(listener);
  }

  private dropLocal(keyId: string): void {
    this.epoch++;
    this.cache.delete(keyId);
    for (const l of this.revokedListeners) l(keyId);
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  private summary(r: GatewayKeysTable): GatewayKeySummary {
    return {
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      userId: r.user_id,
      servers: r.servers === null ? "all" : (JSON.parse(r.servers) as string[]),
      tools: r.tools === null ? null : (JSON.parse(r.tools) as string[]),
      rateLimitRps: r.rate_limit_rps === null ? this.d.defaultRps : Number(r.rate_limit_rps),
      ipAllowlist: r.ip_allowlist === null ? null : (JSON.parse(r.ip_allowlist) as string[]),
      createdAt: iso(Number(r.created_at)),
      lastUsedAt: iso(this.lastUsed.get(r.id) ?? (r.last_used_at === null ? null : Number(r.last_used_at))),
      expiresAt: iso(r.expires_at === null ? null : Number(r.expires_at)),
      rotatedAt: iso(r.rotated_at === null ? null : Number(r.rotated_at)),
    };
  }

  async create(
    userId: string,
    teamId: string,
    req: CreateGatewayKeyRequest,
    ctx: AuditContext,
  ): Promise<CreatedGatewayKey> {
    const role = await this.d.teams.roleOf(userId, teamId);
    if (!atLeast(role, "member")) throw failure("FORBIDDEN", "Viewers cannot create gateway keys");
    const servers = req.servers === undefined || req.servers === "all" ? null : [...new Set(req.servers)];
    const tools = req.tools ? [...new Set(req.tools)] : null;
    await checkAllowlists(() => this.d.serverNames(teamId), servers, tools, "key");
    const ipAllowlist = allowlistOrThrow(req.ipAllowlist);
    const now = this.d.clock.now();
    const minted = mintGatewayKey(this.d.hmacKey);
    const row: GatewayKeysTable = {
      id: newId(),
      key_id: minted.keyId,
      team_id: teamId,
      user_id: userId,
      name: req.name,
      secret_hash: await argonHash(minted.secret, ARGON),
      prefix: displayPrefix(minted.keyId),
      servers: servers ? JSON.stringify(servers) : null,
      tools: tools ? JSON.stringify(tools) : null,
      rate_limit_rps: req.rateLimitRps ?? null,
      ip_allowlist: ipAllowlist,
      created_at: now,
      last_used_at: null,
      expires_at: req.expiresInDays ? now + req.expiresInDays * DAY : null,
      revoked_at: null,
      rotated_at: null,
    };
    await this.d.db.transaction().execute(async (trx) => {
      await trx.insertInto("gateway_keys").values(row).execute();
      await this.d.audit.append(trx, ctx, {
        teamId,
        action: "gateway_key.created",
        targetType: "gateway_key",
        targetId: row.id,
        payload: {
          name: row.name,
          prefix: row.prefix,
          servers: servers ?? "all",
          tools,
          expiresAt: iso(row.expires_at),
          ipAllowlist: req.ipAllowlist ?? null,
        },
      });
    });
    return { ...this.summary(row), key: minted.key };
  }

  /** A member sees their own keys; an owner or admin sees every key of the team. */
  async list(userId: string, teamId: string): Promise<GatewayKeySummary[]> {
    const role = await this.d.teams.roleOf(userId, teamId);
    let q = this.d.db
      .selectFrom("gateway_keys")
      .selectAll()
      .where("team_id", "=", teamId)
      .where("revoked_at", "is", null);
    if (!atLeast(role, "admin")) q = q.where("user_id", "=", userId);
    const rows = await q.orderBy("created_at", "desc").orderBy("id", "desc").execute();
    return rows.map((r) => this.summary(r));
  }

  /** The key if the actor may manage it: their own, or any in a team they administer. Otherwise 404. */
  private async manageable(trx: Kysely<DB>, actorId: string, id: string): Promise<GatewayKeysTable> {
    const row = await trx.selectFrom("gateway_keys").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row || row.revoked_at !== null) throw notFound("Gateway key");
    // Read through the same transaction: on SQLite another query would wait for this one's connection forever.
    const member = await trx
      .selectFrom("team_members")
      .select("role")
      .where("team_id", "=", row.team_id)
      .where("user_id", "=", actorId)
      .executeTakeFirst();
    const role = member?.role;
    if (!role) throw notFound("Gateway key");
    if (row.user_id !== actorId && !atLeast(role, "admin")) throw notFound("Gateway key");
    if (row.user_id === actorId && !atLeast(role, "member")) throw notFound("Gateway key");
    return row;
  }

  async revoke(actorId: string, id: string, ctx: AuditContext): Promise<void> {
    const row = await this.d.db.transaction().execute(async (trx) => {
      const cur = await this.manageable(trx, actorId, id);
      await trx
        .updateTable("gateway_keys")
        .set({ revoked_at: this.d.clock.now() })
        .where("id", "=", id)
        .execute();
      await this.d.audit.append(trx, ctx, {
        teamId: cur.team_id,
        action: "gateway_key.revoked",
        targetType: "gateway_key",
        targetId: id,
        payload: { prefix: cur.prefix },
      });
      return cur;
    });
    await this.d.bus.publish({ kind: "key", keyId: row.key_id });
  }

  /**
   * For account deletion and removal from a team: revokes every live key of the user (in the caller's
   * transaction) and returns their key ids; call `invalidate` with them once the transaction has committed.
   */
  async revokeAllForUser(trx: Kysely<DB>, userId: string, teamId?: string): Promise<string[]> {
    let q = trx
      .selectFrom("gateway_keys")
      .select("key_id")
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null);
    if (teamId) q = q.where("team_id", "=", teamId);
    const rows = await q.execute();
    if (rows.length === 0) return [];
    let u = trx
      .updateTable("gateway_keys")
      .set({ revoked_at: this.d.clock.now() })
      .where("user_id", "=", userId);
    if (teamId) u = u.where("team_id", "=", teamId);
    await u.where("revoked_at", "is", null).execute();
    return rows.map((r) => r.key_id);
  }

  /** Key ids of a member's unrevoked keys in a team. */
  async liveKeyIds(trx: Kysely<DB>, userId: string, teamId: string): Promise<string[]> {
    const rows = await trx
      .selectFrom("gateway_keys")
      .select("key_id")
      .where("user_id", "=", userId)
      .where("team_id", "=", teamId)
      .where("revoked_at", "is", null)
      .execute();
    return rows.map((r) => r.key_id);
  }

  async invalidate(keyIds: readonly string[]): Promise<void> {
    for (const keyId of keyIds) await this.d.bus.publish({ kind: "key", keyId });
  }

  /** Same key id, new secret: the old key string stops working on the next request, everywhere. */
  async rotate(actorId: string, id: string, ctx: AuditContext): Promise<CreatedGatewayKey> {
    const now = this.d.clock.now();
    const cur = await this.manageable(this.d.db, actorId, id);
    const minted = mintGatewayKey(this.d.hmacKey, cur.key_id);
    const secretHash = await argonHash(minted.secret, ARGON);
    const next = await this.d.db.transaction().execute(async (trx) => {
      const again = await this.manageable(trx, actorId, id);
      const updated = { ...again, secret_hash: secretHash, rotated_at: now };
      await trx
        .updateTable("gateway_keys")
        .set({ secret_hash: secretHash, rotated_at: now })
        .where("id", "=", id)
        .execute();
      await this.d.audit.append(trx, ctx, {
        teamId: again.team_id,
        action: "gateway_key.rotated",
        targetType: "gateway_key",
        targetId: id,
        payload: { prefix: again.prefix },
      });
      return updated;
    });
    await this.d.bus.publish({ kind: "key", keyId: cur.key_id });
    return { ...this.summary(next), key: minted.key };
  }

  /**
   * Signature first (no storage touched for a forged key), then the cache (one SHA-256 and a constant-time
   * compare), and only on a miss the database and Argon2id. Expiry is checked on every call.
   */
  async authenticate(presented: string): Promise<GatewayPrincipal | null> {
    if (presented.length !== GATEWAY_KEY_LENGTH) return null;
    const now = this.d.clock.now();
    // Warm path: exactly the string verified before (signature included), so the HMAC would only repeat.
    const digest = digestOf(presented);
    const hit = this.cache.get(presented.slice(GATEWAY_KEY_PREFIX.length, GATEWAY_KEY_PREFIX.length + 32));
    if (hit && timingSafeEqual(hit.digest, digest)) {
      const live = hit.principal.expiresAt === null || now < hit.principal.expiresAt;
      if (!live) {
        this.dropLocal(hit.principal.keyId);
        return null;
      }
      if (now - hit.cachedAt < this.d.cacheTtlMs) {
        this.lastUsed.set(hit.principal.id, now);
        return hit.principal;
      }
      // A stale entry: ask the database again.
    }
    // Anything else: format and signature before any lookup (a forged key costs one HMAC, nothing more).
    const parsed = parseGatewayKey(this.d.hmacKey, presented);
    if (!parsed) return null;
    // The epoch is part of the key: a request that starts after a revocation never joins a lookup from before it.
    const flightKey = `${this.epoch}:${parsed.keyId}:${digest.toString("hex")}`;
    let pending = this.inflight.get(flightKey);
    if (!pending) {
      pending = this.coldVerify(parsed.keyId, parsed.secret, digest).finally(() =>
        this.inflight.delete(flightKey),
      );
      this.inflight.set(flightKey, pending);
    }
    return pending;
  }

  private async coldVerify(keyId: string, secret: string, digest: Buffer): Promise<GatewayPrincipal | null> {
    const epoch = this.epoch;
    const row = await this.d.db
      .selectFrom("gateway_keys as k")
      .innerJoin("team_members as m", (j) =>
        j.onRef("m.team_id", "=", "k.team_id").onRef("m.user_id", "=", "k.user_id"),
      )
      .select([
        "k.id",
        "k.key_id",
        "k.team_id",
        "k.user_id",
        "k.secret_hash",
        "k.servers",
        "k.tools",
        "k.rate_limit_rps",
        "k.ip_allowlist",
        "k.expires_at",
        "k.revoked_at",
        "m.role",
      ])
      .where("k.key_id", "=", keyId)
      .executeTakeFirst();
    const now = this.d.clock.now();
    if (!row || row.revoked_at !== null) return null;
    const expiresAt = row.expires_at === null ? null : Number(row.expires_at);
    if (expiresAt !== null && now >= expiresAt) return null;
    if (row.role === "viewer") return null;
    if (!(await argonVerify(row.secret_hash, secret).catch(() => false))) return null;
    const principal: GatewayPrincipal = {
      id: row.id,
      keyId,
      teamId: row.team_id,
      userId: row.user_id,
      role: row.role,
      servers: row.servers === null ? "all" : (JSON.parse(row.servers) as string[]),
      tools: row.tools === null ? null : (JSON.parse(row.tools) as string[]),
      rps: row.rate_limit_rps === null ? this.d.defaultRps : Number(row.rate_limit_rps),
      ipAllowlist: storedAllowlist(row.ip_allowlist),
      expiresAt,
    };
    if (epoch !== this.epoch) return principal; // valid when read, but not worth trusting for later requests
    this.cache.delete(keyId);
    this.cache.set(keyId, { digest, principal, cachedAt: now });
    while (this.cache.size > CACHE_MAX) {
      const oldest = this.cache.keys().next();
      if (oldest.done) break;
      this.cache.delete(oldest.value);
    }
    this.lastUsed.set(row.id, now);
    return principal;
  }

  /** Batched last-used writes, off the request path. */
  async flushLastUsed(): Promise<void> {
    if (this.lastUsed.size === 0) return;
    const batch = [...this.lastUsed];
    this.lastUsed.clear();
    for (const [id, at] of batch) {
      await this.d.db.updateTable("gateway_keys").set({ last_used_at: at }).where("id", "=", id).execute();
    }
  }
}
