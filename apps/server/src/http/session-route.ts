// The web app's backend: each session route's trust decision is declared in the contract's session-route table
// (packages/contract session-table-*.ts) and enforced here in one order:
// PAT refused → session → team + membership → role → Origin (mutations) → per-user limit → Idempotency-Key →
// body → query → handler. Handlers hold no role checks.
import {
  honoPath,
  roleAtLeast,
  SESSION_ROUTES,
  type SessionPrincipal,
  type SessionRouteName,
  type SessionRouteSpec,
  type TeamMember,
} from "@mogplex/contract";
import type { Context, Hono } from "hono";
import type { z } from "zod";
import type { Services } from "../services.js";
import { readJsonBody } from "./body.js";
import { ApiError, badRequest, errorResponse, Failure, notFound, unauthorized } from "./errors.js";
import { requireIdempotencyKey } from "./idempotency.js";
import { enforceLimit } from "./middleware.js";
import { requireSameOrigin } from "./origin.js";
import type { AppEnv } from "./types.js";
import { parseOrThrow } from "./validate.js";

type Spec<N extends SessionRouteName> = (typeof SESSION_ROUTES)[N];
type Parsed<T> = T extends z.ZodType ? z.infer<T> : undefined;

export interface SessionInput<N extends SessionRouteName> {
  principal: Spec<N> extends { auth: "none" } ? null : SessionPrincipal;
  /** The caller in the team the route resolved (its role already checked against the table's minimum). */
  team: Spec<N> extends { team: "none" } ? undefined : TeamMember;
  body: Spec<N> extends { body: z.ZodType } ? Parsed<Spec<N>["body"]> : undefined;
  query: Spec<N> extends { query: z.ZodType } ? Parsed<Spec<N>["query"]> : undefined;
  /** The body as sent (before parsing): what idempotency hashes. */
  rawBody: unknown;
  idempotencyKey: string | undefined;
}

export const PAT_REFUSED =
  "This route requires a browser session; personal access tokens are not accepted here";
export const NO_TEAM = "You are not a member of any team";

async function resolveTeam(
  c: Context<AppEnv>,
  s: Services,
  spec: SessionRouteSpec,
  p: SessionPrincipal,
): Promise<TeamMember | undefined> {
  if (spec.team === "none") return undefined;
  if (spec.team === "path") {
    const teamId = c.req.param("teamId") ?? "";
    return { userId: p.userId, teamId, role: await s.teams.roleOf(p.userId, teamId) };
  }
  // EventSource can't send headers, so a stream may also name its team as ?team=.
  const requested = (spec.stream ? c.req.query("team") : undefined) || c.req.header("x-mogplex-team");
  const teamId = await s.identity.activeTeam(p.userId, requested || undefined);
  if (!teamId) {
    if (requested) throw notFound("Team");
    throw new ApiError("FORBIDDEN", NO_TEAM);
  }
  return { userId: p.userId, teamId, role: await s.teams.roleOf(p.userId, teamId) };
}

async function readBody(c: Context<AppEnv>, s: Services, spec: SessionRouteSpec) {
  // An upload's handler reads its raw body itself.
  if (spec.method === "get" || spec.rawBody) return { raw: undefined, parsed: undefined };
  // Mutations without a schema still refuse a body that is not JSON or is over the limit.
  if (!spec.body && spec.method === "delete") return { raw: undefined, parsed: undefined };
  const raw = await readJsonBody(c, s.config.bodyLimitBytes, { optional: true });
  if (!spec.body) return { raw, parsed: undefined };
  if (raw === undefined && spec.bodyRequired) throw badRequest("A JSON request body is required");
  return { raw, parsed: parseOrThrow(spec.body, raw ?? {}) };
}

export function sessionRoute<N extends SessionRouteName>(
  app: Hono<AppEnv>,
  s: Services,
  name: N,
  handler: (c: Context<AppEnv>, input: SessionInput<N>) => Promise<Response>,
): void {
  const spec: SessionRouteSpec = SESSION_ROUTES[name];
  app.on(spec.method.toUpperCase(), honoPath(spec.path), async (c) => {
    try {
      let principal: SessionPrincipal | null = null;
      if (spec.auth === "session") {
        if (/^Bearer\s/i.test(c.req.header("authorization") ?? ""))
          throw new ApiError("FORBIDDEN", PAT_REFUSED);
        const resolved = await s.identity.resolveSession(c.req.raw.headers);
        for (const cookie of resolved.setCookies) c.header("Set-Cookie", cookie, { append: true });
        if (!resolved.principal) throw unauthorized("Sign in required");
        principal = resolved.principal;
        c.set("session", principal);
      }
      const team = principal ? await resolveTeam(c, s, spec, principal) : undefined;
      if (team && spec.role && !roleAtLeast(team.role, spec.role)) {
        throw new ApiError("FORBIDDEN", `This action needs the ${spec.role} role or higher`);
      }
      if (spec.csrf === "origin") requireSameOrigin(c, s.config);
      if (spec.limit && principal) {
        const tier = spec.limit === "runStart" ? "run-start" : spec.limit;
        const rule = spec.limit === "runStart" ? s.rules.pat : s.rules.tokenCreate;
        const limited = await enforceLimit(c, s.limiter, `user:${tier}:${principal.userId}`, rule, s.clock);
        if (limited) return limited;
      }
      const idempotencyKey = spec.idempotent ? requireIdempotencyKey(c) : undefined;
      const body = await readBody(c, s, spec);
      const query = spec.query ? parseOrThrow(spec.query, c.req.query()) : undefined;
      const input = { principal, team, body: body.parsed, query, rawBody: body.raw, idempotencyKey };
      return await handler(c, input as SessionInput<N>);
    } catch (err) {
      if (err instanceof Failure) return errorResponse(c, err);
      throw err;
    }
  });
}
