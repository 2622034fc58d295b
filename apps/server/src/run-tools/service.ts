// Team tools in runs: which MCP tools and REST connections a run may call, checked when it is created (the
// starter's role, the team's policy, what the upstreams list) and opened host-side when it executes. Calls go
// through the gateway's catalog and upstream pool and land in its request log with the run id; no credential
// leaves this process for the sandbox.
import type { Kysely } from "kysely";
import { sealedContext } from "../connections/service.js";
import type { DB } from "../db/schema.js";
import { badRequest } from "../failure.js";
import type { GatewayPrincipal } from "../gateway/auth/keys.js";
import { toClientError } from "../gateway/errors.js";
import type { Gateway } from "../gateway/service.js";
import type { Catalog } from "../gateway/session/catalog.js";
import type { Keyring } from "../security/envelope.js";
import { newId } from "../security/random.js";
import { atLeast } from "../teams/service.js";
import { dedupe, parseRunTool, policyAllows, type RunToolSpec, runWants } from "./names.js";
import { type RestTarget, restMethods } from "./rest.js";

export interface RunToolsDeps {
  db: Kysely<DB>;
  keyring: Keyring;
  gateway: Pick<Gateway, "teamServers" | "catalogFor" | "log">;
}

/** Whoever starts the run and where: the tools are checked, and later called, as this member on this repo. */
export interface RunToolsScope {
  runId: string | null;
  teamId: string;
  userId: string;
  repoId: string;
}

export interface McpRunTool {
  name: string;
  server: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface OpenedRunTools {
  mcp: McpRunTool[];
  rest: RestTarget[];
  /** Credential values of everything opened (upstream env and headers, REST headers): redacted everywhere. */
  secrets: string[];
  /** Calls one MCP tool through the gateway; the result as the upstream gave it (or a safe error message). */
  callMcp(
    name: string,
    args: unknown,
    signal: AbortSignal,
  ): Promise<{ result?: Record<string, unknown>; error?: string }>;
  /** Writes a request-log row for a REST call made (or refused before leaving) for this run. */
  logRest(connection: string, outcome: "ok" | "error" | "denied" | "cancelled", latencyMs: number): void;
}

/** A run's tools can't be opened (the starter lost access, a tool vanished): the run fails, saying which. */
export class RunToolsError extends Error {
  override readonly name = "RunToolsError";
}

const refuse = (tool: string, why: string) => badRequest(`tools: ${tool}: ${why}`);

export class RunTools {
  constructor(private readonly d: RunToolsDeps) {}

  private async role(scope: RunToolsScope) {
    const m = await this.d.db
      .selectFrom("team_members")
      .select("role")
      .where("team_id", "=", scope.teamId)
      .where("user_id", "=", scope.userId)
      .executeTakeFirst();
    return m?.role ?? null;
  }

  private async policy(teamId: string): Promise<string[] | null> {
    const t = await this.d.db
      .selectFrom("teams")
      .select("run_tools_policy")
      .where("id", "=", teamId)
      .executeTakeFirst();
    return t?.run_tools_policy ? (JSON.parse(t.run_tools_policy) as string[]) : null;
  }

  private async excluded(scope: RunToolsScope): Promise<Set<string>> {
    const rows = await this.d.db
      .selectFrom("connection_exclusions")
      .select("connection_id")
      .where("repo_id", "=", scope.repoId)
      .execute();
    return new Set(rows.map((r) => r.connection_id));
  }

  /** A principal as a gateway key of the starter naming exactly the run's servers would have. */
  private async catalog(scope: RunToolsScope, specs: RunToolSpec[], role: GatewayPrincipal["role"]) {
    const names = dedupe(specs.flatMap((s) => (s.kind === "mcp" ? [s.server] : [])));
    if (names.length === 0) return null;
    const excluded = await this.excluded(scope);
    const reachable = (await this.d.gateway.teamServers(scope.teamId, true)).filter(
      (s) => (s.scope === "team" && !excluded.has(s.id)) || s.repoId === scope.repoId,
    );
    const servers = names.filter((n) => reachable.some((s) => s.name === n));
    const principal: GatewayPrincipal = {
      id: `run:${scope.runId ?? "new"}`,
      keyId: `run:${scope.runId ?? "new"}`,
      teamId: scope.teamId,
      userId: scope.userId,
      role,
      servers,
      tools: null,
      rps: Number.MAX_SAFE_INTEGER,
      expiresAt: null,
      ipAllowlist: null,
    };
    const catalog = await this.d.gateway.catalogFor(principal);
    const secrets = reachable
      .filter((s) => servers.includes(s.name))
      .flatMap((s) => [...Object.values(s.env ?? {}), ...Object.values(s.headers ?? {})]);
    return { catalog, servers, secrets };
  }

  /** The catalog's tools, and the servers that could not list theirs (with the gateway's fixed reason). */
  private async listed(catalog: Catalog): Promise<{ tools: McpRunTool[]; failed: Map<string, string> }> {
    const failed = new Map<string, string>();
    try {
      const { tools, _meta } = (await catalog.listTools()) as {
        tools: Array<Record<string, unknown> & { name: string }>;
        _meta?: Record<string, unknown>;
      };
      for (const f of (_meta?.["mogplex/failed"] as Array<{ server: string; reason: string }> | undefined) ??
        [])
        failed.set(f.server, f.reason);
      return {
        tools: tools.map((t) => ({
          name: t.name,
          server: String((t._meta as Record<string, unknown>)["mogplex/server"] ?? ""),
          description: typeof t.description === "string" ? t.description : "",
          inputSchema: (t.inputSchema as Record<string, unknown> | undefined) ?? { type: "object" },
        })),
        failed,
      };
    } catch {
      for (const v of catalog.views) failed.set(v.config.name, "unavailable");
      return { tools: [], failed };
    }
  }

  private async restTargets(scope: RunToolsScope, names: string[]): Promise<Map<string, RestTarget>> {
    if (names.length === 0) return new Map();
    const excluded = await this.excluded(scope);
    const rows = await this.d.db
      .selectFrom("connections")
      .selectAll()
      .where("team_id", "=", scope.teamId)
      .where("kind", "=", "rest")
      .where("enabled", "=", 1)
      .where("name", "in", names)
      .execute();
    const out = new Map<string, RestTarget>();
    for (const r of rows) {
      const inScope = (r.repo_id === null && !excluded.has(r.id)) || r.repo_id === scope.repoId;
      if (!inScope || !r.url) continue;
      const headers =
        r.headers_enc === null
          ? {}
          : (JSON.parse(this.d.keyring.decrypt(r.headers_enc, sealedContext(r.id, "headers"))) as Record<
              string,
              string
            >);
      out.set(r.name, { name: r.name, url: r.url, headers, methods: restMethods(r.methods ?? null) });
    }
    return out;
  }

  /**
   * Creation: every named tool must be one the starter could call through a gateway key on this repo and one
   * the team's policy lets runs ask for; answers 400 naming the first that is not. Returns the list to store.
   */
  async check(
    scope: RunToolsScope,
    role: GatewayPrincipal["role"],
    tools: readonly string[],
  ): Promise<string[]> {
    const wanted = dedupe(tools);
    if (wanted.length === 0) return [];
    const first = wanted[0] as string;
    if (!atLeast(role, "member")) throw refuse(first, "viewers cannot call team tools");
    const policy = await this.policy(scope.teamId);
    const blocked = wanted.find((t) => !policyAllows(policy, t));
    if (blocked) throw refuse(blocked, "the team's run tool policy does not allow it");
    const specs = wanted.map(parseRunTool);
    const opened = await this.catalog(scope, specs, role);
    const { tools: listed, failed } = opened
      ? await this.listed(opened.catalog)
      : { tools: [], failed: new Map<string, string>() };
    const rest = await this.restTargets(
      scope,
      specs.flatMap((s) => (s.kind === "rest" ? [s.connection] : [])),
    );
    for (const s of specs) {
      if (s.kind === "rest") {
        if (!rest.has(s.connection))
          throw refuse(s.raw, "no enabled REST connection by that name for this repo");
        continue;
      }
      if (!opened?.servers.includes(s.server))
        throw refuse(s.raw, `no enabled MCP server named ${s.server} for this repo`);
      const down = failed.get(s.server);
      if (s.tool !== null && down && !listed.some((t) => t.name === s.raw))
        throw refuse(s.raw, `MCP server ${s.server} could not list its tools (${down})`);
      if (s.tool !== null && !listed.some((t) => t.server === s.server && t.name === s.raw))
        throw refuse(s.raw, `MCP server ${s.server} does not list that tool`);
    }
    return wanted;
  }

  /** Execution: the run's tools as its starter may still call them; fails if that is no longer all of them. */
  async open(scope: RunToolsScope & { runId: string }, tools: readonly string[]): Promise<OpenedRunTools> {
    const role = await this.role(scope);
    if (!role || !atLeast(role, "member"))
      throw new RunToolsError("the run's starter can no longer call team tools (not a member of the team)");
    const specs = dedupe(tools).map(parseRunTool);
    const opened = await this.catalog(scope, specs, role);
    const mcp = opened
      ? (await this.listed(opened.catalog)).tools.filter((t) => runWants(specs, t.server, t.name))
      : [];
    const restNames = specs.flatMap((s) => (s.kind === "rest" ? [s.connection] : []));
    const rest = await this.restTargets(scope, restNames);
    const missing =
      specs.find((s) => s.kind === "mcp" && s.tool !== null && !mcp.some((t) => t.name === s.raw)) ??
      specs.find((s) => s.kind === "mcp" && !opened?.servers.includes(s.server)) ??
      specs.find((s) => s.kind === "rest" && !rest.has(s.connection));
    if (missing) throw new RunToolsError(`team tool ${missing.raw} is no longer available to this run`);
    const log = this.d.gateway.log;
    const base = { keyId: null, teamId: scope.teamId, runId: scope.runId };
    return {
      mcp,
      rest: [...rest.values()],
      secrets: [...(opened?.secrets ?? []), ...[...rest.values()].flatMap((r) => Object.values(r.headers))],
      async callMcp(name, args, signal) {
        const requestId = `run-${newId()}`;
        const start = performance.now();
        const target = { server: null as string | null, tool: null as string | null };
        try {
          if (!mcp.some((t) => t.name === name)) throw new RunToolsError(`unknown tool ${name}`);
          const entry = await (opened as { catalog: Catalog }).catalog.resolve("tools", name);
          target.server = entry.view.config.name;
          target.tool = entry.item.name;
          const result = await entry.view.upstream.request(
            "tools/call",
            { name: entry.item.name, arguments: args ?? {} },
            { signal },
          );
          log.record({
            ...base,
            requestId,
            method: "tools/call",
            ...target,
            status: "ok",
            latencyMs: performance.now() - start,
          });
          return { result };
        } catch (err) {
          const { error, errorClass } = toClientError(err, requestId);
          log.record({
            ...base,
            requestId,
            method: "tools/call",
            ...target,
            status: errorClass === "not_found" ? "denied" : "error",
            errorClass: signal.aborted ? "cancelled" : errorClass,
            latencyMs: performance.now() - start,
          });
          if (signal.aborted) throw err;
          return { error: error.message };
        }
      },
      logRest(connection, outcome, latencyMs) {
        log.record({
          ...base,
          requestId: `run-${newId()}`,
          method: "rest/request",
          server: connection,
          tool: "http_request",
          status: outcome === "cancelled" ? "error" : outcome,
          errorClass: {
            ok: null,
            error: "upstream_error" as const,
            denied: "forbidden" as const,
            cancelled: "cancelled" as const,
          }[outcome],
          latencyMs,
        });
      },
    };
  }
}
