// The public v1 route table: one entry per route, used by the server, the client and the OpenAPI document.
import { z } from "zod";
import { ListQuery, type Scope } from "./common.js";
import { McpServerConfig } from "./connections.js";
import type { ErrorCode } from "./errors.js";
import { LLM_ROUTES } from "./llm.js";
import { MODEL_ROUTES } from "./models-routes.js";
import { CreateRunRequest, Repo, Run, RunEvent, RunStatus, Sandbox, SandboxStatus } from "./resources.js";
import { TokenSummary } from "./tokens.js";

export type RouteAuth = "pat" | "session" | "none";

export interface RouteSpec {
  method: "get" | "post" | "delete";
  path: string; // OpenAPI style: /runs/{id}
  summary: string;
  auth: RouteAuth;
  scope?: Scope;
  query?: z.ZodType;
  body?: z.ZodType;
  idempotent?: boolean; // requires Idempotency-Key
  response: z.ZodType;
  successStatus?: number;
  errors: ErrorCode[];
  stream?: boolean; // text/event-stream
  /** The request body is raw bytes of this type (an upload), not JSON. */
  rawBody?: "application/zip";
  /** The success answer is raw bytes of this type, not the JSON envelope. */
  binary?: "application/zip";
  /** `path` is from the server root, not the table's base (the well-known key). */
  root?: boolean;
  /** Extra per-caller limit: `upload` is the strictest write tier (the run-start windows). */
  limit?: "upload";
}

const PAGE = { nextCursor: z.string().nullable() };

// Query strings of the list routes: the server parses with these, and the OpenAPI document lists them.
const RepoIdFilter = z.string().max(64).describe("only this repo's items");
export const RepoListQuery = ListQuery.extend({
  q: z.string().max(200).optional().describe("substring of the repo's full name"),
});
export const RunListQuery = ListQuery.extend({
  repoId: RepoIdFilter.optional(),
  status: RunStatus.optional(),
});
export const EventListQuery = z.object({
  limit: ListQuery.shape.limit,
  after: z.string().max(20).optional().describe("only events with a sequence number above this"),
});
export const SandboxListQuery = ListQuery.extend({
  repoId: RepoIdFilter.optional(),
  status: SandboxStatus.optional(),
});
export const McpServersQuery = ListQuery.extend({
  repoId: z.string().max(64).optional().describe("the repo's view: globals minus exclusions plus its own"),
});
const AUTHED: ErrorCode[] = [
  "UNAUTHORIZED",
  "FORBIDDEN",
  "RATE_LIMITED",
  "SERVICE_UNAVAILABLE",
  "INTERNAL_ERROR",
];
const READ: ErrorCode[] = [...AUTHED, "BAD_REQUEST"];
const WRITE: ErrorCode[] = [...AUTHED, "BAD_REQUEST", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"];

export const PUBLIC_BASE = "/api/v1/mogplex";

export const PUBLIC_ROUTES = {
  listRepos: {
    method: "get",
    path: "/repos",
    summary: "List the team's repos",
    auth: "pat",
    scope: "read",
    query: RepoListQuery,
    response: z.object({ repos: z.array(Repo), ...PAGE }),
    errors: READ,
  },
  getRepo: {
    method: "get",
    path: "/repos/{id}",
    summary: "Get one repo",
    auth: "pat",
    scope: "read",
    response: z.object({ repo: Repo }),
    errors: [...READ, "NOT_FOUND"],
  },
  createRun: {
    method: "post",
    path: "/runs",
    summary: "Start a run (Idempotency-Key required)",
    auth: "pat",
    scope: "write",
    body: CreateRunRequest,
    idempotent: true,
    response: z.object({ run: Run, replayed: z.boolean() }),
    successStatus: 202,
    errors: [...WRITE, "NOT_FOUND", "IDEMPOTENCY_CONFLICT", "CONFLICT"],
  },
  listRuns: {
    method: "get",
    path: "/runs",
    summary: "List runs",
    auth: "pat",
    scope: "read",
    query: RunListQuery,
    response: z.object({ runs: z.array(Run), ...PAGE }),
    errors: READ,
  },
  getRun: {
    method: "get",
    path: "/runs/{id}",
    summary: "Get one run",
    auth: "pat",
    scope: "read",
    response: z.object({ run: Run }),
    errors: [...READ, "NOT_FOUND"],
  },
  cancelRun: {
    method: "post",
    path: "/runs/{id}/cancel",
    summary: "Cancel a run (idempotent)",
    auth: "pat",
    scope: "write",
    response: z.object({ run: Run, alreadyTerminal: z.boolean() }),
    errors: [...WRITE, "NOT_FOUND"],
  },
  listRunEvents: {
    method: "get",
    path: "/runs/{id}/events",
    summary: "List a run's sanitised events",
    auth: "pat",
    scope: "read",
    query: EventListQuery,
    response: z.object({ events: z.array(RunEvent), ...PAGE }),
    errors: [...READ, "NOT_FOUND"],
  },
  streamRunEvents: {
    method: "get",
    path: "/runs/{id}/events/stream",
    summary: "Server-sent events of a run; resumes from Last-Event-ID; ends after a terminal event",
    auth: "pat",
    scope: "read",
    response: RunEvent,
    stream: true,
    errors: [...READ, "NOT_FOUND"],
  },
  listSandboxes: {
    method: "get",
    path: "/sandboxes",
    summary: "List sandboxes",
    auth: "pat",
    scope: "read",
    query: SandboxListQuery,
    response: z.object({ sandboxes: z.array(Sandbox), ...PAGE }),
    errors: READ,
  },
  getSandbox: {
    method: "get",
    path: "/sandboxes/{id}",
    summary: "Get one sandbox",
    auth: "pat",
    scope: "read",
    response: z.object({ sandbox: Sandbox }),
    errors: [...READ, "NOT_FOUND"],
  },
  stopSandbox: {
    method: "post",
    path: "/sandboxes/{id}/stop",
    summary: "Stop a sandbox",
    auth: "pat",
    scope: "write",
    response: z.object({ sandbox: Sandbox, alreadyStopped: z.boolean() }),
    errors: [...WRITE, "NOT_FOUND"],
  },
  listMcpServers: {
    method: "get",
    path: "/mcp/servers",
    summary:
      "Resolved MCP server config for the caller (team-global, or for ?repoId= the repo's view), including " +
      "decrypted headers and env; Cache-Control: no-store, and every read is audited",
    auth: "pat",
    scope: "read",
    query: McpServersQuery,
    response: z.object({ servers: z.array(McpServerConfig), ...PAGE }),
    errors: [...READ, "NOT_FOUND"],
  },
  getToken: {
    method: "get",
    path: "/token",
    summary: "The token making this request: its name, prefix, scopes and expiry (never the secret)",
    auth: "pat",
    scope: "read",
    response: z.object({ token: TokenSummary }),
    errors: READ,
  },
  ...MODEL_ROUTES,
  ...LLM_ROUTES,
} satisfies Record<string, RouteSpec>;

export type PublicRouteName = keyof typeof PUBLIC_ROUTES;
