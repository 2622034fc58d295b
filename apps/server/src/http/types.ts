// Request-scoped values the middleware sets on the Hono context.

import type { AuditContext } from "../audit/store.js";
import type { IpAllowlist } from "../security/ip-allowlist.js";

export type Role = "owner" | "admin" | "member" | "viewer";

export interface PatPrincipal {
  kind: "pat";
  userId: string;
  teamId: string;
  role: Role;
  tokenId: string;
  scopes: ReadonlyArray<"read" | "write">;
  /** Who the token was minted for: runs it starts are recorded with `source: "cli"` or `"api"`. */
  client: "api" | "cli";
  /** Addresses the token may be used from; null = any. */
  ipAllowlist: IpAllowlist | null;
}

export interface SessionPrincipal {
  kind: "session";
  userId: string;
  sessionId: string;
  email: string;
  name: string;
}

/** Set by the per-IP middleware on PAT requests: the route decides whether the request counts. */
export interface IpCharge {
  count(): Promise<Response | null>;
  waive(): void;
}

export type AppEnv = {
  Variables: {
    requestId: string;
    clientIp: string;
    pat: PatPrincipal;
    session: SessionPrincipal;
    ipCharge: IpCharge | undefined;
  };
};

export function auditContext(
  c: {
    get: <K extends keyof AppEnv["Variables"]>(k: K) => AppEnv["Variables"][K];
    req: { header: (n: string) => string | undefined };
  },
  actor: PatPrincipal | SessionPrincipal | null,
): AuditContext {
  return {
    actorType: actor ? "user" : "anonymous",
    actorId: actor?.userId ?? null,
    requestId: c.get("requestId"),
    ip: c.get("clientIp"),
    userAgent: c.req.header("user-agent") ?? null,
    authSource: actor?.kind ?? null,
  };
}
