// The web app's backend-for-frontend: session-authenticated repo and run routes, scoped to the active team.
import { CreateRunRequest, EventListQuery, RepoListQuery, RunListQuery } from "@mogplex/contract";
import type { Context, Hono } from "hono";
import { z } from "zod";
import { ApiError, badRequest, notFound } from "../http/errors.js";
import { requireIdempotencyKey } from "../http/idempotency.js";
import { enforceLimit } from "../http/middleware.js";
import { sessionRoute } from "../http/session-route.js";
import {
  type AppEnv,
  auditContext,
  type PatPrincipal,
  type Role,
  type SessionPrincipal,
} from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import { toRepo } from "../repos/service.js";
import { parseAfter } from "../runs/events.js";
import { toRun } from "../runs/service.js";
import { streamRunEvents } from "../runs/stream-routes.js";
import type { Services } from "../services.js";
import { atLeast } from "../teams/service.js";
import { registerWebAccountRoutes } from "./account-routes.js";

const AddRepoBody = z
  .object({
    fullName: z.string().max(201),
    cloneUrl: z.string().min(1, "cloneUrl is required").max(2048),
    defaultBranch: z.string().min(1).max(255).optional(),
    rootDirectory: z.string().max(1024).optional(),
  })
  .strict();

/**
 * From the web, only a remote clone URL (https, ssh or scp-style): a local path or file:// would let a team
 * admin read any repository on the server's disk, which is an operator's decision (`mogplex admin add-repo`).
 * Credentials in the URL are refused too: they would be stored in plain text.
 */
export function remoteCloneUrl(raw: string): string {
  const v = raw.trim();
  const scp = /^[A-Za-z0-9._-]{1,64}@[A-Za-z0-9.-]{1,253}:[A-Za-z0-9._~/-]{1,1024}$/;
  if (scp.test(v) && !v.includes("..")) return v;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw badRequest(CLONE_URL_RULE);
  }
  if (u.protocol !== "https:" && u.protocol !== "ssh:") throw badRequest(CLONE_URL_RULE);
  if (u.password !== "" || (u.protocol === "https:" && u.username !== "")) {
    throw badRequest("cloneUrl must not contain credentials");
  }
  return u.href;
}

export const CLONE_URL_RULE =
  "cloneUrl must be an https://, ssh:// or git@host:path clone URL (local paths are added with mogplex admin add-repo)";

export interface WebScope {
  teamId: string;
  role: Role;
}

/**
 * The team a web request acts in: `X-Mogplex-Team` (id or slug) when the user belongs to it, else their
 * first team. A team they don't belong to is "not found", never "forbidden" (no existence oracle).
 */
export async function webScope(c: Context<AppEnv>, s: Services, p: SessionPrincipal): Promise<WebScope> {
  const requested = c.req.header("x-mogplex-team") || undefined;
  const teamId = await s.identity.activeTeam(p.userId, requested);
  if (!teamId) {
    if (requested) throw notFound("Team");
    throw new ApiError("FORBIDDEN", "You are not a member of any team");
  }
  return { teamId, role: await s.teams.roleOf(p.userId, teamId) };
}

function need(scope: WebScope, min: Role): void {
  if (!atLeast(scope.role, min)) {
    throw new ApiError("FORBIDDEN", `This action needs the ${min} role or higher`);
  }
}

/**
 * The run service acts for a token's principal; a session starts runs as the member it is, in the active team
 * (scopes are a token notion, the role rules are checked before this). Only the user and team reach the run.
 */
function runStarter(p: SessionPrincipal, scope: WebScope): PatPrincipal {
  return {
    kind: "pat",
    userId: p.userId,
    teamId: scope.teamId,
    role: scope.role,
    tokenId: `session:${p.sessionId}`,
    scopes: ["read", "write"],
    client: "api",
    ipAllowlist: null,
  };
}

export function registerWebRoutes(app: Hono<AppEnv>, s: Services): void {
  registerWebAccountRoutes(app, s);

  sessionRoute(app, s, "GET", "/api/web/repos", async (c, { principal }) => {
    const { teamId } = await webScope(c, s, principal);
    const q = parseOrThrow(RepoListQuery, c.req.query());
    return c.json({ ok: true, data: await s.repos.list(teamId, q) });
  });

  sessionRoute(app, s, "POST", "/api/web/repos", async (c, { principal, body }) => {
    const scope = await webScope(c, s, principal);
    need(scope, "admin");
    const req = parseOrThrow(AddRepoBody, body ?? {});
    const repo = await s.repos.add(
      {
        teamId: scope.teamId,
        fullName: req.fullName.trim(),
        sourceUrl: remoteCloneUrl(req.cloneUrl),
        defaultBranch: req.defaultBranch,
        rootDirectory: req.rootDirectory,
      },
      auditContext(c, principal),
    );
    return c.json({ ok: true, data: { repo } }, 201);
  });

  sessionRoute(app, s, "GET", "/api/web/repos/:id", async (c, { principal }) => {
    const { teamId } = await webScope(c, s, principal);
    const repo = await s.repos.get(teamId, c.req.param("id") ?? "");
    return c.json({ ok: true, data: { repo: toRepo(repo) } });
  });

  sessionRoute(app, s, "GET", "/api/web/runs", async (c, { principal }) => {
    const { teamId } = await webScope(c, s, principal);
    const q = parseOrThrow(RunListQuery, c.req.query());
    return c.json({ ok: true, data: await s.runs.list(teamId, q) });
  });

  // Same rules as POST /api/v1/mogplex/runs: a per-user request limit (the PAT rule), member or above,
  // Idempotency-Key, the contract's body, then the service's per-user run-start budgets and audit.
  sessionRoute(app, s, "POST", "/api/web/runs", async (c, { principal, body }) => {
    const scope = await webScope(c, s, principal);
    const limited = await enforceLimit(
      c,
      s.limiter,
      `user:run-start:${principal.userId}`,
      s.rules.pat,
      s.clock,
    );
    if (limited) return limited;
    need(scope, "member");
    const key = requireIdempotencyKey(c);
    if (body === undefined) throw badRequest("A JSON request body is required");
    const req = parseOrThrow(CreateRunRequest, body);
    const ctx = auditContext(c, principal);
    const data = await s.runs.create(runStarter(principal, scope), req, body, key, "web", ctx);
    return c.json({ ok: true, data }, 202);
  });

  sessionRoute(app, s, "GET", "/api/web/runs/:id", async (c, { principal }) => {
    const { teamId } = await webScope(c, s, principal);
    const run = await s.runs.get(teamId, c.req.param("id") ?? "");
    const repo = await s.repos.get(teamId, run.repo_id).catch(() => null);
    return c.json({ ok: true, data: { run: toRun(run), repo: repo ? toRepo(repo) : null } });
  });

  sessionRoute(app, s, "GET", "/api/web/runs/:id/events", async (c, { principal }) => {
    const { teamId } = await webScope(c, s, principal);
    const run = await s.runs.get(teamId, c.req.param("id") ?? "");
    const q = parseOrThrow(EventListQuery, c.req.query());
    return c.json({ ok: true, data: await s.events.list(run.id, parseAfter(q.after), q.limit) });
  });

  // EventSource can't send headers, so the team may also come as ?team=; the same membership check applies.
  sessionRoute(app, s, "GET", "/api/web/runs/:id/events/stream", async (c, { principal }) => {
    const requested = c.req.query("team") || c.req.header("x-mogplex-team");
    const teamId = await s.identity.activeTeam(principal.userId, requested || undefined);
    if (!teamId) throw notFound("Run");
    const run = await s.runs.get(teamId, c.req.param("id") ?? "");
    return streamRunEvents(c, s, teamId, run.id);
  });

  sessionRoute(app, s, "POST", "/api/web/runs/:id/cancel", async (c, { principal }) => {
    const scope = await webScope(c, s, principal);
    const run = await s.runs.get(scope.teamId, c.req.param("id") ?? "");
    need(scope, "member");
    const data = await s.runs.cancel(scope.teamId, run.id, auditContext(c, principal));
    return c.json({ ok: true, data });
  });
}
