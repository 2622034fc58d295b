// A connections row as each reader sees it: the settings summary (names, never values), the audit shape, and
// the decrypted server config the gateway and the resolved-config route use.
import type { ConnectionSummary, McpServerConfig } from "@mogplex/contract";
import { iso } from "../clock.js";
import type { ConnectionsTable } from "../db/schema.js";
import { statusOf } from "./status.js";

/** A decrypted MCP server as the gateway and the resolved-config route use it. */
export interface ResolvedServer extends McpServerConfig {
  /** Changes whenever the row does, so pooled upstream clients built from an older config are replaced. */
  version: number;
}

const list = (json: string) => JSON.parse(json) as string[];

export function summary(r: ConnectionsTable): ConnectionSummary {
  return {
    id: r.id,
    teamId: r.team_id,
    repoId: r.repo_id,
    scope: r.repo_id ? "repo" : "team",
    kind: r.kind,
    name: r.name,
    transport: r.transport,
    url: r.url,
    command: r.command,
    args: list(r.args),
    headerNames: list(r.header_names),
    envNames: list(r.env_names),
    egressHosts: list(r.egress_hosts),
    mounts: list(r.mounts),
    methods: r.kind === "rest" ? (r.methods ? list(r.methods) : ["GET", "HEAD"]) : null,
    enabled: Number(r.enabled) === 1,
    ...statusOf(r),
    timeoutMs: r.timeout_ms === null ? null : Number(r.timeout_ms),
    createdAt: iso(Number(r.created_at)),
    updatedAt: iso(Number(r.updated_at)),
  };
}

/** What an audit row may say about a connection: its shape, never a credential. */
export function auditShape(r: ConnectionsTable) {
  return {
    url: r.url,
    command: r.command,
    headerNames: list(r.header_names),
    envNames: list(r.env_names),
    egressHosts: list(r.egress_hosts),
    mounts: list(r.mounts),
  };
}

export function resolvedRow(
  r: ConnectionsTable,
  secrets: { headers: Record<string, string>; env: Record<string, string> },
): ResolvedServer {
  return {
    id: r.id,
    name: r.name,
    scope: r.repo_id ? "repo" : "team",
    repoId: r.repo_id,
    transport: r.transport ?? "http",
    url: r.url,
    command: r.command,
    args: list(r.args),
    headers: secrets.headers,
    env: secrets.env,
    egressHosts: list(r.egress_hosts),
    mounts: list(r.mounts),
    timeoutMs: r.timeout_ms === null ? null : Number(r.timeout_ms),
    version: Number(r.updated_at),
  };
}
