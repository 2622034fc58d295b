// Session-route table, part: the team's model settings (default model, allowlist, write-only provider keys),
// the catalogue for the web app, and a repo's run settings.

import { okEnvelope } from "./envelope.js";
import {
  ModelCatalogue,
  RepoSettingsBody,
  SetProviderKeyBody,
  TeamModelSettings,
  UpdateTeamModelsBody,
} from "./models.js";
import { R404, sessionSpec as r, type SessionRouteSpec, W404 } from "./session-spec.js";

export const SETTINGS_SESSION_ROUTES = {
  webListModels: r({
    method: "get",
    path: "/api/web/models",
    summary: "The active team's model catalogue (what the start-run form offers)",
    team: "header",
    role: "viewer",
    response: okEnvelope(ModelCatalogue),
    errors: R404,
  }),
  getTeamModelSettings: r({
    method: "get",
    path: "/api/teams/{teamId}/model-settings",
    summary: "The team's default model, model allowlist and which provider keys are set (never the keys)",
    team: "path",
    role: "admin",
    response: okEnvelope(TeamModelSettings),
    errors: R404,
  }),
  updateTeamModelSettings: r({
    method: "patch",
    path: "/api/teams/{teamId}/model-settings",
    summary: "Change the team's default model and/or model allowlist",
    team: "path",
    role: "admin",
    body: UpdateTeamModelsBody,
    bodyRequired: true,
    errors: W404,
  }),
  setTeamProviderKey: r({
    method: "post",
    path: "/api/teams/{teamId}/provider-keys/{provider}",
    summary: "Store the team's key for a model provider (sealed at rest, write-only)",
    team: "path",
    role: "admin",
    body: SetProviderKeyBody,
    bodyRequired: true,
    errors: W404,
  }),
  removeTeamProviderKey: r({
    method: "delete",
    path: "/api/teams/{teamId}/provider-keys/{provider}",
    summary: "Remove the team's key for a model provider",
    team: "path",
    role: "admin",
    errors: W404,
  }),
  webUpdateRepoSettings: r({
    method: "patch",
    path: "/api/web/repos/{id}",
    summary: "Change a repo's install command, dev command, port and environment source",
    team: "header",
    role: "admin",
    body: RepoSettingsBody,
    bodyRequired: true,
    errors: W404,
  }),
} satisfies Record<string, SessionRouteSpec>;
