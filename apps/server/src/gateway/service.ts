// The gateway: keys, the upstream pool, downstream sessions, the request log, and the invalidations tying them together.
import type { Redis } from "ioredis";
import type { Kysely } from "kysely";
import type { AuditLog } from "../audit/store.js";
import type { Clock } from "../clock.js";
import type { GatewayConfig } from "../config.js";
import type { ConnectionService, ResolvedServer } from "../connections/service.js";
import type { DB } from "../db/schema.js";
import type { Logger } from "../logger.js";
import { purgeUnusedClients } from "../oauth/clients.js";
import { OAuthGrantService } from "../oauth/grants.js";
import { UNUSED_CLIENT_TTL_MS } from "../oauth/provider.js";
import type { TeamService } from "../teams/service.js";
import { type InvalidationBus, MemoryInvalidationBus, RedisInvalidationBus } from "./auth/broadcast.js";
import { gatewayHmacKey } from "./auth/key-format.js";
import { GatewayKeyService, type GatewayPrincipal } from "./auth/keys.js";
import { ScrubbedEnvLauncher, type StdioLauncher } from "./launch/launcher.js";
import { RequestLog } from "./request-log.js";
import { allowedServers, Catalog } from "./session/catalog.js";
import { GatewaySession } from "./session/session.js";
import { UpstreamPool } from "./upstream/pool.js";

/** Server configs change rarely and every change is broadcast; this only bounds a missed broadcast. */
const TEAM_SERVERS_TTL_MS = 30_000;
const SWEEP_MS = 15_000;
const PER_KEY_SESSIONS = 100;
const PURGE_EVERY_MS = 3_600_000;

export interface GatewayDeps {
  db: Kysely<DB>;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  teams: TeamService;
  connections: ConnectionService;
  config: GatewayConfig;
  signingSecret: string;
  redis?: Redis | undefined;
  launcher?: StdioLauncher;
}

export class Gateway {
  readonly keys: GatewayKeyService;
  /** OAuth grants: the gateway-key-like principals of MCP clients connected by OAuth (oauth/). */
  readonly oauth: OAuthGrantService;
  readonly pool: UpstreamPool;
  readonly log: RequestLog;
  readonly bus: InvalidationBus;
  readonly launcher: StdioLauncher;
  private readonly sessions = new Map<string, GatewaySession>();
  private readonly teamServersCache = new Map<string, { at: number; servers: Promise<ResolvedServer[]> }>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly d: GatewayDeps) {
    this.bus = d.redis ? new RedisInvalidationBus(d.redis, d.logger) : new MemoryInvalidationBus();
    this.launcher = d.launcher ?? new ScrubbedEnvLauncher();
    this.log = new RequestLog(d.db, d.clock, d.logger);
    this.keys = new GatewayKeyService({
      db: d.db,
      audit: d.audit,
      clock: d.clock,
      teams: d.teams,
      hmacKey: gatewayHmacKey(d.signingSecret),
      bus: this.bus,
      defaultRps: d.config.defaultRps,
      cacheTtlMs: d.config.keyCacheTtlMs,
      serverNames: (teamId) => d.connections.serverNames(teamId),
    });
    this.oauth = new OAuthGrantService({
      db: d.db,
      audit: d.audit,
      clock: d.clock,
      teams: d.teams,
      bus: this.bus,
      defaultRps: d.config.defaultRps,
      cacheTtlMs: d.config.keyCacheTtlMs,
      serverNames: (teamId) => d.connections.serverNames(teamId),
    });
    this.pool = new UpstreamPool({
      launcher: this.launcher,
      clock: d.clock,
      logger: d.logger,
      maxStdio: d.config.maxStdio,
      stdioIdleMs: d.config.stdioIdleMs,
      timeoutMs: d.config.upstreamTimeoutMs,
      breakerThreshold: d.config.breakerThreshold,
      breakerCooldownMs: d.config.breakerCooldownMs,
      onStatus: (config, outcome) =>
        void d.connections
          .recordStatus(config, outcome)
          .catch((err: Error) =>
            d.logger.debug({ server: config.name, err: { message: err.message } }, "status not recorded"),
          ),
    });
    // A revoked or rotated key (or OAuth grant: same broadcast) loses its sessions at once, not only its next request.
    this.keys.onInvalidated((keyId) => {
      for (const [id, session] of this.sessions) if (session.keyId === keyId) void this.endSession(id);
    });
    this.pool.onListChanged((serverId, kind) => {
      for (const session of this.sessions.values()) void session.upstreamListChanged(serverId, kind);
    });
    // Leaving a team (or deleting the account) revokes the member's keys with it; a new role drops them from
    // every replica's cache so the next request re-checks (a viewer's keys stop working). Effective at once.
    d.teams.onMembershipChanged(async (trx, change) => {
      const role = change.kind === "role";
      const keys = role
        ? await this.keys.liveKeyIds(trx, change.userId, change.teamId)
        : await this.keys.revokeAllForUser(trx, change.userId, change.teamId ?? undefined);
      // OAuth grants likewise (their key ids ride the same broadcast).
      const grants = role
        ? await this.oauth.liveKeyIds(trx, change.userId, change.teamId)
        : await this.oauth.revokeAllForUser(trx, change.userId, change.teamId ?? undefined);
      const ids = [...keys, ...grants];
      return ids.length > 0 ? () => this.keys.invalidate(ids) : undefined;
    });
    d.connections.onChange((c) => void this.bus.publish({ kind: "connections", ...c }));
    this.bus.subscribe((msg) => {
      if (msg.kind === "connections") this.connectionsChanged(msg.teamId, msg.connectionId);
      if (msg.kind === "all") this.teamServersCache.clear();
    });
  }

  private connectionsChanged(teamId: string, connectionId: string): void {
    this.teamServersCache.delete(teamId);
    this.pool.retire(connectionId);
    for (const session of this.sessions.values())
      if (session.principal.teamId === teamId) session.resetCatalog();
  }

  /** The team's enabled MCP servers, decrypted; cached briefly, dropped on any broadcast change. */
  teamServers(teamId: string, fresh = false): Promise<ResolvedServer[]> {
    const now = this.d.clock.now();
    const hit = this.teamServersCache.get(teamId);
    if (hit && !fresh && now - hit.at < TEAM_SERVERS_TTL_MS) return hit.servers;
    const servers = this.d.connections.gatewayServers(teamId);
    this.teamServersCache.set(teamId, { at: now, servers });
    servers.catch(() => this.teamServersCache.delete(teamId));
    return servers;
  }

  async catalogFor(p: GatewayPrincipal): Promise<Catalog> {
    let all = await this.teamServers(p.teamId);
    // A key naming a server this replica hasn't heard of: registered by another process (the admin command,
    // another replica without Redis) since the cache was filled. Read again rather than leave it out.
    if (p.servers !== "all" && p.servers.some((n) => !all.some((s) => s.name === n)))
      all = await this.teamServers(p.teamId, true);
    const servers = allowedServers(all, p);
    return new Catalog(
      servers.map((config) => ({ config, upstream: this.pool.get(config) })),
      p,
      this.d.logger,
    );
  }

  /** A new downstream session. Past the per-key cap the key's least recently used session is ended. */
  newSession(principal: GatewayPrincipal): GatewaySession | null {
    const mine = [...this.sessions.entries()].filter(([, s]) => s.keyId === principal.keyId);
    if (mine.length >= Math.min(PER_KEY_SESSIONS, this.d.config.maxSessions)) {
      const oldest = mine.sort((a, b) => a[1].lastSeen - b[1].lastSeen)[0];
      if (oldest) void this.endSession(oldest[0]);
    } else if (this.sessions.size >= this.d.config.maxSessions) {
      return null;
    }
    return new GatewaySession(principal, {
      clock: this.d.clock,
      log: this.log,
      catalogFor: (x) => this.catalogFor(x),
    });
  }

  register(id: string, session: GatewaySession): void {
    this.sessions.set(id, session);
  }

  /** The session, only for the key that opened it (another key's session id is simply unknown). */
  session(id: string, principal: GatewayPrincipal): GatewaySession | undefined {
    const s = this.sessions.get(id);
    if (!s || s.keyId !== principal.keyId) return undefined;
    s.lastSeen = this.d.clock.now();
    return s;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  async endSession(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    await s.close();
  }

  /** Ends idle sessions and stops idle stdio processes. */
  async sweep(): Promise<void> {
    const now = this.d.clock.now();
    for (const [id, s] of this.sessions)
      if (now - s.lastSeen >= this.d.config.sessionIdleMs) await this.endSession(id);
    await this.pool.reapIdle();
  }

  /** Background work for a serving process: sweeps, batched writes, and the request log's retention. */
  start(): void {
    this.log.start();
    let lastPurge = 0;
    this.sweeper ??= setInterval(() => {
      void this.sweep().catch(() => undefined);
      void this.keys.flushLastUsed().catch(() => undefined);
      void this.oauth.flushLastUsed().catch(() => undefined);
      const now = this.d.clock.now();
      if (now - lastPurge >= PURGE_EVERY_MS) {
        lastPurge = now;
        void purgeUnusedClients(this.d.db, now - UNUSED_CLIENT_TTL_MS).catch(() => undefined);
        void this.log
          .purgeOlderThan(now - this.d.config.logRetentionDays * 86_400_000)
          .catch(() => undefined);
      }
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.endSession(id)));
    await this.pool.close();
    await this.keys.flushLastUsed().catch(() => undefined);
    await this.oauth.flushLastUsed().catch(() => undefined);
    await this.log.close();
    await this.bus.close();
  }
}
