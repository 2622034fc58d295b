// The web app's backend-for-frontend: session-authenticated repo and run routes, scoped to the active team.
import type { Hono } from "hono";
import { badRequest } from "../http/errors.js";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import { toRepo } from "../repos/service.js";
import { parseAfter } from "../runs/events.js";
import { toRun } from "../runs/service.js";
import { streamRunEvents } from "../runs/stream-routes.js";
import type { Services } from "../services.js";
import { registerWebAccountRoutes } from "./account-routes.js";

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

export function registerWebRoutes(app: Hono<AppEnv>, s: Services): void {
  registerWebAccountRoutes(app, s);

  sessionRoute(app, s, "webListRepos", async (c, { team, query }) => {
    return c.json({ ok: true, data: await s.repos.list(team.teamId, query) });
  });

  sessionRoute(app, s, "webAddRepo", async (c, { principal, team, body }) => {
    const repo = await s.repos.add(
      {
        teamId: team.teamId,
        fullName: body.fullName.trim(),
        sourceUrl: remoteCloneUrl(body.cloneUrl),
        defaultBranch: body.defaultBranch,
        rootDirectory: body.rootDirectory,
      },
      auditContext(c, principal),
    );
    return c.json({ ok: true, data: { repo } }, 201);
  });

  sessionRoute(app, s, "webGetRepo", async (c, { team }) => {
    const repo = await s.repos.get(team.teamId, c.req.param("id") ?? "");
    return c.json({ ok: true, data: { repo: toRepo(repo) } });
  });

  sessionRoute(app, s, "webListRuns", async (c, { team, query }) => {
    return c.json({ ok: true, data: await s.runs.list(team.teamId, query) });
  });

  // Same rules as POST /api/v1/mogplex/runs (declared in the session table: member or above, the PAT rule as a
  // per-user limit, Idempotency-Key, the contract's body), then the service's run-start budgets and audit.
  sessionRoute(app, s, "webStartRun", async (c, { principal, team, body, rawBody, idempotencyKey }) => {
    const ctx = auditContext(c, principal);
    const data = await s.runs.create(team, body, rawBody, idempotencyKey ?? "", "web", ctx);
    return c.json({ ok: true, data }, 202);
  });

  sessionRoute(app, s, "webGetRun", async (c, { team }) => {
    const run = await s.runs.get(team.teamId, c.req.param("id") ?? "");
    const repo = await s.repos.get(team.teamId, run.repo_id).catch(() => null);
    return c.json({ ok: true, data: { run: toRun(run), repo: repo ? toRepo(repo) : null } });
  });

  sessionRoute(app, s, "webListRunEvents", async (c, { team, query }) => {
    const run = await s.runs.get(team.teamId, c.req.param("id") ?? "");
    return c.json({ ok: true, data: await s.events.list(run.id, parseAfter(query.after), query.limit) });
  });

  // EventSource can't send headers: the session table lets this stream name its team as ?team= too.
  sessionRoute(app, s, "webStreamRunEvents", async (c, { team }) => {
    const run = await s.runs.get(team.teamId, c.req.param("id") ?? "");
    return streamRunEvents(c, s, team.teamId, run.id);
  });

  sessionRoute(app, s, "webCancelRun", async (c, { principal, team }) => {
    const run = await s.runs.get(team.teamId, c.req.param("id") ?? "");
    const data = await s.runs.cancel(team.teamId, run.id, auditContext(c, principal));
    return c.json({ ok: true, data });
  });
}
