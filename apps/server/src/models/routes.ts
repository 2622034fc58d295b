// HTTP edge of the model catalogue, the team's model settings and repo run settings: public PAT routes
// (GET /models, POST /repos/{id}/settings) and the web app's session routes.
import { ModelProvider, roleAtLeast } from "@mogplex/contract";
import type { Hono } from "hono";
import { ApiError } from "../http/errors.js";
import { publicRoute } from "../http/public-route.js";
import { sessionRoute } from "../http/session-route.js";
import { type AppEnv, auditContext } from "../http/types.js";
import { parseOrThrow } from "../http/validate.js";
import type { Services } from "../services.js";

const providerOf = (raw: string | undefined) => parseOrThrow(ModelProvider, raw ?? "");

export function registerModelRoutes(app: Hono<AppEnv>, s: Services): void {
  publicRoute(app, s, "listModels", async (c, { principal }) => {
    return c.json({ ok: true, data: await s.models.catalogue(principal.teamId) });
  });

  publicRoute(app, s, "updateRepoSettings", async (c, { principal, body }) => {
    if (!roleAtLeast(principal.role, "admin")) {
      throw new ApiError("FORBIDDEN", "Only team owners and admins can change a repo's settings");
    }
    const id = c.req.param("id") ?? "";
    const repo = await s.repos.updateSettings(principal.teamId, id, body, auditContext(c, principal));
    return c.json({ ok: true, data: { repo } });
  });

  sessionRoute(app, s, "webListModels", async (c, { team }) => {
    return c.json({ ok: true, data: await s.models.catalogue(team.teamId) });
  });

  sessionRoute(app, s, "getTeamModelSettings", async (c, { team }) => {
    return c.json({ ok: true, data: await s.models.settings(team.teamId) });
  });

  sessionRoute(app, s, "updateTeamModelSettings", async (c, { principal, team, body }) => {
    const data = await s.models.update(team.teamId, body, auditContext(c, principal));
    return c.json({ ok: true, data });
  });

  sessionRoute(app, s, "setTeamProviderKey", async (c, { principal, team, body }) => {
    const provider = providerOf(c.req.param("provider"));
    const data = await s.models.setKey(team.teamId, provider, body.key, auditContext(c, principal));
    return c.json({ ok: true, data });
  });

  sessionRoute(app, s, "removeTeamProviderKey", async (c, { principal, team }) => {
    const provider = providerOf(c.req.param("provider"));
    const data = await s.models.removeKey(team.teamId, provider, auditContext(c, principal));
    return c.json({ ok: true, data });
  });

  sessionRoute(app, s, "webUpdateRepoSettings", async (c, { principal, team, body }) => {
    const id = c.req.param("id") ?? "";
    const repo = await s.repos.updateSettings(team.teamId, id, body, auditContext(c, principal));
    return c.json({ ok: true, data: { repo } });
  });
}
