// Connections and the MCP server registry: team-global or repo-scoped, credentials sealed, repo exclusions.

import type { ConnectionSummary, CreateConnectionRequest, UpdateConnectionRequest } from "@mogplex/contract";
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import type { Clock } from "../clock.js";
import { decodeCursor, olderThan, pageOf } from "../db/pagination.js";
import type { ConnectionsTable, DB } from "../db/schema.js";
import { badRequest, failure, notFound } from "../failure.js";
import type { Keyring } from "../security/envelope.js";
import { newId } from "../security/random.js";
import { auditShape, type ResolvedServer, resolvedRow, summary } from "./rows.js";
import { recordStatus, STATUS_RESET } from "./status.js";
import { launchChange, type RegisterOptions, StdioChecks, type StdioPolicy } from "./stdio-check.js";

export type ConnectionChange = { teamId: string; connectionId: string };

const sealedContext = (id: string, field: "headers" | "env") => `connection:${id}:${field}`;

export class ConnectionService {
  private readonly listeners: Array<(c: ConnectionChange) => void> = [];

  constructor(
    private readonly db: Kysely<DB>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly keyring: Keyring,
    /** Without one (tests of other rooms), stdio servers' mounts are stored unchecked. */
    stdio?: StdioPolicy,
  ) {
    this.stdio = new StdioChecks(stdio);
  }

  private readonly stdio: StdioChecks;

  /** The gateway listens so pooled clients and open sessions follow a change at once. */
  onChange(listener: (c: ConnectionChange) => void): void {
    this.listeners.push(listener);
  }

  private changed(c: ConnectionChange): void {
    for (const l of this.listeners) l(c);
  }

  private seal(id: string, field: "headers" | "env", map: Record<string, string> | undefined): string | null {
    if (!map || Object.keys(map).length === 0) return null;
    return this.keyring.encrypt(JSON.stringify(map), sealedContext(id, field));
  }

  private open(id: string, field: "headers" | "env", sealed: string | null): Record<string, string> {
    if (sealed === null) return {};
    return JSON.parse(this.keyring.decrypt(sealed, sealedContext(id, field))) as Record<string, string>;
  }

  private async repoOfTeam(trx: Kysely<DB>, teamId: string, repoId: string): Promise<void> {
    const repo = await trx
      .selectFrom("repos")
      .select("id")
      .where("id", "=", repoId)
      .where("team_id", "=", teamId)
      .executeTakeFirst();
    if (!repo) throw notFound("Repo");
  }

  private async row(trx: Kysely<DB>, teamId: string, id: string): Promise<ConnectionsTable> {
    const row = await trx
      .selectFrom("connections")
      .selectAll()
      .where("id", "=", id)
      .where("team_id", "=", teamId)
      .executeTakeFirst();
    if (!row) throw notFound("Connection");
    return row;
  }

  private async assertNameFree(trx: Kysely<DB>, teamId: string, name: string, except?: string) {
    let q = trx.selectFrom("connections").select("id").where("team_id", "=", teamId).where("name", "=", name);
    if (except) q = q.where("id", "!=", except);
    if (await q.executeTakeFirst()) throw failure("CONFLICT", `A connection named ${name} already exists`);
  }

  async create(
    teamId: string,
    actorId: string | null,
    req: CreateConnectionRequest,
    ctx: AuditContext,
    o: RegisterOptions = {},
  ): Promise<ConnectionSummary> {
    const mounts = this.stdio.check(
      { command: req.command ?? null, args: req.args ?? [], mounts: req.mounts ?? [] },
      o,
      await this.stdio.uid(Boolean(req.command && req.mounts?.length)),
    );
    const id = newId();
    const now = this.clock.now();
    const transport = req.kind === "rest" ? null : req.command ? "stdio" : (req.transport ?? "http");
    const row: ConnectionsTable = {
      id,
      team_id: teamId,
      repo_id: req.repoId ?? null,
      kind: req.kind,
      name: req.name,
      transport,
      url: req.url ?? null,
      command: req.command ?? null,
      args: JSON.stringify(req.args ?? []),
      header_names: JSON.stringify(Object.keys(req.headers ?? {})),
      headers_enc: this.seal(id, "headers", req.headers),
      env_names: JSON.stringify(Object.keys(req.env ?? {})),
      env_enc: this.seal(id, "env", req.env),
      egress_hosts: JSON.stringify(req.egressHosts ?? []),
      mounts: JSON.stringify(mounts),
      ...STATUS_RESET,
      timeout_ms: req.timeoutMs ?? null,
      enabled: req.enabled === false ? 0 : 1,
      methods: req.methods ? JSON.stringify([...new Set(req.methods)]) : null,
      created_by: actorId,
      created_at: now,
      updated_at: now,
    };
    await this.db.transaction().execute(async (trx) => {
      if (row.repo_id) await this.repoOfTeam(trx, teamId, row.repo_id);
      await this.assertNameFree(trx, teamId, row.name);
      await trx.insertInto("connections").values(row).execute();
      await this.audit.append(trx, ctx, {
        teamId,
        action: "connection.created",
        targetType: "connection",
        targetId: id,
        payload: { name: row.name, kind: row.kind, transport, repoId: row.repo_id, ...auditShape(row) },
      });
    });
    this.changed({ teamId, connectionId: id });
    return summary(row);
  }

  async update(
    teamId: string,
    id: string,
    req: UpdateConnectionRequest,
    ctx: AuditContext,
    o: RegisterOptions = {},
  ) {
    const now = this.clock.now();
    const uid = await this.stdio.uid(Boolean(req.command || req.args || req.mounts));
    const updated = await this.db.transaction().execute(async (trx) => {
      const cur = await this.row(trx, teamId, id);
      const stdio = cur.transport === "stdio";
      if (stdio && (req.url || req.headers || req.transport))
        throw badRequest("a stdio MCP server takes command, args and env");
      if (!stdio && (req.command || req.args || req.env || req.egressHosts || req.mounts))
        throw badRequest(
          cur.kind === "rest"
            ? "a rest connection takes a url and headers only"
            : "an HTTP MCP server takes url and headers",
        );
      if (cur.kind === "rest" && req.transport) throw badRequest("transport applies to MCP servers only");
      if (cur.kind !== "rest" && req.methods) throw badRequest("methods apply to rest connections only");
      if (req.name && req.name !== cur.name) await this.assertNameFree(trx, teamId, req.name, id);
      // Checked against the host as it is now, whenever what the sandbox must see changes (a form that
      // sends everything back unchanged, e.g. to rename, is not refused because the host moved on).
      const launch = launchChange(cur, req);
      const mounts = launch
        ? this.stdio.check(
            {
              command: req.command ?? cur.command,
              args: req.args ?? (JSON.parse(cur.args) as string[]),
              mounts: req.mounts ?? (JSON.parse(cur.mounts) as string[]),
            },
            o,
            uid,
          )
        : (JSON.parse(cur.mounts) as string[]);
      const reset =
        launch ||
        req.env ||
        req.headers ||
        (req.url !== undefined && req.url !== cur.url) ||
        (req.transport !== undefined && req.transport !== cur.transport) ||
        (req.egressHosts !== undefined && JSON.stringify(req.egressHosts) !== cur.egress_hosts);
      const next: ConnectionsTable = {
        ...cur,
        name: req.name ?? cur.name,
        url: req.url ?? cur.url,
        transport: req.transport ?? cur.transport,
        command: req.command ?? cur.command,
        args: req.args ? JSON.stringify(req.args) : cur.args,
        header_names: req.headers ? JSON.stringify(Object.keys(req.headers)) : cur.header_names,
        headers_enc: req.headers ? this.seal(id, "headers", req.headers) : cur.headers_enc,
        env_names: req.env ? JSON.stringify(Object.keys(req.env)) : cur.env_names,
        env_enc: req.env ? this.seal(id, "env", req.env) : cur.env_enc,
        egress_hosts: req.egressHosts ? JSON.stringify(req.egressHosts) : cur.egress_hosts,
        mounts: JSON.stringify(mounts),
        ...(reset ? STATUS_RESET : {}),
        enabled: req.enabled === undefined ? cur.enabled : req.enabled ? 1 : 0,
        timeout_ms: req.timeoutMs === undefined ? cur.timeout_ms : req.timeoutMs,
        methods: req.methods ? JSON.stringify([...new Set(req.methods)]) : (cur.methods ?? null),
        // Strictly increasing even within one millisecond: it is the pooled client's version.
        updated_at: Math.max(now, Number(cur.updated_at) + 1),
      };
      await trx.updateTable("connections").set(next).where("id", "=", id).execute();
      await this.audit.append(trx, ctx, {
        teamId,
        action: "connection.updated",
        targetType: "connection",
        targetId: id,
        payload: { name: next.name, changed: Object.keys(req), ...auditShape(next) },
      });
      return next;
    });
    this.changed({ teamId, connectionId: id });
    return summary(updated);
  }

  async remove(teamId: string, id: string, ctx: AuditContext): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const cur = await this.row(trx, teamId, id);
      await trx.deleteFrom("connection_exclusions").where("connection_id", "=", id).execute();
      await trx.deleteFrom("connections").where("id", "=", id).execute();
      await this.audit.append(trx, ctx, {
        teamId,
        action: "connection.deleted",
        targetType: "connection",
        targetId: id,
        payload: { name: cur.name, kind: cur.kind },
      });
    });
    this.changed({ teamId, connectionId: id });
  }

  /** Excluding hides a team-global connection from one repo, however healthy it is. */
  async setExcluded(
    teamId: string,
    repoId: string,
    connectionId: string,
    excluded: boolean,
    ctx: AuditContext,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.repoOfTeam(trx, teamId, repoId);
      const cur = await this.row(trx, teamId, connectionId);
      if (cur.repo_id !== null) throw badRequest("only team-global connections can be excluded from a repo");
      await trx
        .deleteFrom("connection_exclusions")
        .where("repo_id", "=", repoId)
        .where("connection_id", "=", connectionId)
        .execute();
      if (excluded) {
        await trx
          .insertInto("connection_exclusions")
          .values({
            team_id: teamId,
            repo_id: repoId,
            connection_id: connectionId,
            created_at: this.clock.now(),
          })
          .execute();
      }
      await this.audit.append(trx, ctx, {
        teamId,
        action: excluded ? "connection.excluded" : "connection.included",
        targetType: "connection",
        targetId: connectionId,
        payload: { repoId, name: cur.name },
      });
    });
    this.changed({ teamId, connectionId });
  }

  /** Settings listing (no secrets). With a repo: what that repo resolves to, plus which globals it excludes. */
  async list(teamId: string, repoId?: string) {
    if (repoId) await this.repoOfTeam(this.db, teamId, repoId);
    const rows = await this.db
      .selectFrom("connections")
      .selectAll()
      .where("team_id", "=", teamId)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .execute();
    if (!repoId) return { connections: rows.map(summary) };
    const excluded = new Set(
      (
        await this.db
          .selectFrom("connection_exclusions")
          .select("connection_id")
          .where("repo_id", "=", repoId)
          .execute()
      ).map((r) => r.connection_id),
    );
    const visible = rows.filter((r) => (r.repo_id === null && !excluded.has(r.id)) || r.repo_id === repoId);
    return { connections: visible.map(summary), excluded: [...excluded] };
  }

  async get(teamId: string, id: string): Promise<ConnectionSummary> {
    return summary(await this.row(this.db, teamId, id));
  }

  private resolve(r: ConnectionsTable): ResolvedServer {
    return resolvedRow(r, {
      headers: this.open(r.id, "headers", r.headers_enc),
      env: this.open(r.id, "env", r.env_enc),
    });
  }

  /**
   * The resolved MCP config (decrypted). Without a repo: the enabled team-global servers. With one: those
   * minus the repo's exclusions, plus the repo's own servers.
   */
  async resolvedMcp(teamId: string, opts: { repoId?: string; limit: number; cursor?: string }) {
    const cursor = decodeCursor(opts.cursor);
    if (opts.repoId) await this.repoOfTeam(this.db, teamId, opts.repoId);
    const repoId = opts.repoId;
    let q = this.db
      .selectFrom("connections")
      .selectAll()
      .where("team_id", "=", teamId)
      .where("kind", "=", "mcp_server")
      .where("enabled", "=", 1);
    q = repoId
      ? q.where((eb) =>
          eb.or([
            eb("repo_id", "=", repoId),
            eb.and([
              eb("repo_id", "is", null),
              eb(
                "id",
                "not in",
                eb.selectFrom("connection_exclusions").select("connection_id").where("repo_id", "=", repoId),
              ),
            ]),
          ]),
        )
      : q.where("repo_id", "is", null);
    if (cursor) q = q.where(olderThan(cursor));
    const rows = await q
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(opts.limit + 1)
      .execute();
    const { page, nextCursor } = pageOf(rows, opts.limit);
    return {
      servers: page.map((r) => {
        const { version: _v, ...config } = this.resolve(r);
        return config;
      }),
      nextCursor,
    };
  }

  /** Every enabled MCP server of the team, decrypted, for the gateway (which applies each key's allowlist). */
  async gatewayServers(teamId: string): Promise<ResolvedServer[]> {
    const rows = await this.db
      .selectFrom("connections")
      .selectAll()
      .where("team_id", "=", teamId)
      .where("kind", "=", "mcp_server")
      .where("enabled", "=", 1)
      .orderBy("name", "asc")
      .execute();
    return rows.map((r) => this.resolve(r));
  }

  /** The gateway reports each start: a failure (sanitised message) shows in the list until the next success. */
  recordStatus(
    server: { id: string; version: number },
    outcome: { ok: true } | { ok: false; message: string },
  ): Promise<void> {
    return recordStatus(this.db, server.id, server.version, this.clock.now(), outcome);
  }

  /** Names of the team's MCP servers (to validate a key's allowlist). */
  async serverNames(teamId: string): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom("connections")
      .select("name")
      .where("team_id", "=", teamId)
      .where("kind", "=", "mcp_server")
      .execute();
    return new Set(rows.map((r) => r.name));
  }

  /** Count of sealed values per key id (for the rotation report). */
  async sealedKeyIds(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const rows = await this.db.selectFrom("connections").select(["headers_enc", "env_enc"]).execute();
    for (const r of rows) {
      for (const v of [r.headers_enc, r.env_enc]) {
        if (v === null) continue;
        const id = this.keyring.keyIdOf(v);
        out.set(id, (out.get(id) ?? 0) + 1);
      }
    }
    return out;
  }
}

export type { ResolvedServer };
export { sealedContext };
