// Request-scoped values the middleware sets on the Hono context.

import type { PatPrincipal, SessionPrincipal } from "@mogplex/contract";
import type { AuditContext } from "../audit/store.js";

export type { PatPrincipal, Role, SessionPrincipal } from "@mogplex/contract";

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
