// The team's run tool policy: which team tools (MCP through the gateway, REST connections) runs may ask for at
// all. Owners and admins set it in a session; null lets runs ask for any tool their starter can call.
import { z } from "zod";
import { okEnvelope } from "./envelope.js";
import { RunToolName } from "./resources.js";
import { R404, sessionSpec as r, type SessionRouteSpec, W404 } from "./session-spec.js";

export const RunToolsPolicy = z.object({
  /** Patterns (`server__tool`, `server__*`, `rest:<connection>`) runs may request; null = no restriction. */
  tools: z.array(z.string()).nullable(),
});
export type RunToolsPolicy = z.infer<typeof RunToolsPolicy>;

export const UpdateRunToolsPolicyBody = z
  .object({ tools: z.array(RunToolName).max(200, "tools must list at most 200 entries").nullable() })
  .strict();
export type UpdateRunToolsPolicyBody = z.infer<typeof UpdateRunToolsPolicyBody>;

export const RUN_TOOLS_SESSION_ROUTES = {
  getTeamRunToolsPolicy: r({
    method: "get",
    path: "/api/teams/{teamId}/run-tools-policy",
    summary: "Which team tools runs may request (null: any tool the run's starter can call)",
    team: "path",
    role: "admin",
    response: okEnvelope(RunToolsPolicy),
    errors: R404,
  }),
  updateTeamRunToolsPolicy: r({
    method: "patch",
    path: "/api/teams/{teamId}/run-tools-policy",
    summary: "Set which team tools runs may request (null lifts the restriction)",
    team: "path",
    role: "admin",
    body: UpdateRunToolsPolicyBody,
    bodyRequired: true,
    errors: W404,
  }),
} satisfies Record<string, SessionRouteSpec>;
