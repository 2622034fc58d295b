// Public v1 repo routes.
import { RepoListQuery } from "@mogplex/contract";
import type { Hono } from "hono";
import { publicRoute } from "../http/public-route.js";
import type { AppEnv } from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import type { Services } from "../services.js";
import { toRepo } from "./service.js";

export function registerRepoRoutes(app: Hono<AppEnv>, s: Services): void {
  publicRoute(app, s, "listRepos", async (c, { principal }) => {
    const q = parseOrThrow(RepoListQuery, c.req.query());
    const data = await s.repos.list(principal.teamId, { q: q.q, limit: q.limit, cursor: q.cursor });
    return c.json({ ok: true, data });
  });
  publicRoute(app, s, "getRepo", async (c, { principal }) => {
    const repo = await s.repos.get(principal.teamId, c.req.param("id") ?? "");
    return c.json({ ok: true, data: { repo: toRepo(repo) } });
  });
}
