// Public v1 routes of the model catalogue and repo settings, spread into PUBLIC_ROUTES (routes.ts).
import { z } from "zod";
import type { ErrorCode } from "./errors.js";
import { ModelCatalogue, RepoSettingsBody } from "./models.js";
import { Repo } from "./resources.js";
import type { RouteSpec } from "./routes.js";

const AUTHED: ErrorCode[] = [
  "UNAUTHORIZED",
  "FORBIDDEN",
  "RATE_LIMITED",
  "SERVICE_UNAVAILABLE",
  "INTERNAL_ERROR",
];
const READ: ErrorCode[] = [...AUTHED, "BAD_REQUEST"];
const WRITE: ErrorCode[] = [...READ, "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"];

export const MODEL_ROUTES = {
  listModels: {
    method: "get",
    path: "/models",
    summary:
      "The model catalogue: built-in providers' models, MOGPLEX_DEFAULT_MODEL, the team default and the " +
      "OpenAI-compatible endpoint's models (as openai-compatible/<id>), each with whether credentials exist " +
      "and whether the team allows it",
    auth: "pat",
    scope: "read",
    response: ModelCatalogue,
    errors: READ,
  },
  updateRepoSettings: {
    method: "post",
    path: "/repos/{id}/settings",
    summary:
      "Change a repo's run settings (install command, dev command, port, environment source); team owner or " +
      "admin; a field left out is kept, null clears it",
    auth: "pat",
    scope: "write",
    body: RepoSettingsBody,
    response: z.object({ repo: Repo }),
    errors: [...WRITE, "NOT_FOUND"],
  },
} satisfies Record<string, RouteSpec>;
