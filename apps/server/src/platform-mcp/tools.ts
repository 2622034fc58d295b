// The platform MCP server's tools: the public API's runs, repos and sandboxes as MCP tools, errors as results.
import { randomUUID } from "node:crypto";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  CreateRunRequest,
  ListQuery,
  missingScopeMessage,
  type PatPrincipal,
  SandboxStatus,
} from "@mogplex/contract";
import { z } from "zod";
import type { AuditContext } from "../audit/store.js";
import { Failure } from "../failure.js";
import { validationMessage } from "../http/validate.js";
import { toRun } from "../runs/service.js";
import type { Services } from "../services.js";

const Limit = z.number().int().min(1).max(200).optional();
const Cursor = ListQuery.shape.cursor;
const RunId = z.object({ runId: z.string().min(1).max(64) }).strict();

interface Tool<S extends z.ZodType> {
  description: string;
  scope: "read" | "write";
  input: S;
  run(args: z.infer<S>, p: PatPrincipal, ctx: AuditContext): Promise<Record<string, unknown>>;
}

const tool = <S extends z.ZodType>(t: Tool<S>) => t;

function toolsFor(s: Services) {
  return {
    list_repos: tool({
      description: "List the team's repos (optional substring filter q).",
      scope: "read",
      input: z.object({ q: z.string().max(200).optional(), limit: Limit, cursor: Cursor }).strict(),
      run: (a, p) => s.repos.list(p.teamId, { q: a.q, limit: a.limit ?? 100, cursor: a.cursor }),
    }),
    start_run: tool({
      description:
        "Start an agent run on a repo. idempotencyKey is optional (one is generated); reusing a key with the " +
        "same input returns the original run.",
      scope: "write",
      input: CreateRunRequest.extend({ idempotencyKey: z.string().min(1).max(200).optional() }).strict(),
      run: async (a, p, ctx) => {
        const { idempotencyKey, ...body } = a;
        const key = idempotencyKey ?? randomUUID();
        const r = await s.runs.create(p, body, body, key, "mcp", ctx);
        return { ...r, idempotencyKey: key };
      },
    }),
    get_run: tool({
      description: "Get one run.",
      scope: "read",
      input: RunId,
      run: async (a, p) => ({ run: toRun(await s.runs.get(p.teamId, a.runId)) }),
    }),
    get_run_events: tool({
      description: "List a run's sanitised events after a sequence number.",
      scope: "read",
      input: RunId.extend({ after: z.number().int().min(0).optional(), limit: Limit }).strict(),
      run: async (a, p) => {
        const run = await s.runs.get(p.teamId, a.runId);
        return s.events.list(run.id, a.after ?? 0, a.limit ?? 100);
      },
    }),
    cancel_run: tool({
      description: "Cancel a run (idempotent: a finished run comes back with alreadyTerminal true).",
      scope: "write",
      input: RunId,
      run: (a, p, ctx) => s.runs.cancel(p.teamId, a.runId, ctx),
    }),
    list_sandboxes: tool({
      description: "List sandboxes (filter by repoId or status).",
      scope: "read",
      input: z
        .object({
          repoId: z.string().max(64).optional(),
          status: SandboxStatus.optional(),
          limit: Limit,
          cursor: Cursor,
        })
        .strict(),
      run: (a, p) =>
        s.sandboxes.list(p.teamId, {
          repoId: a.repoId,
          status: a.status,
          limit: a.limit ?? 100,
          cursor: a.cursor,
        }),
    }),
  } satisfies Record<string, Tool<z.ZodType>>;
}

function failure(code: string, message: string) {
  const error = { code, message };
  return {
    isError: true,
    content: [{ type: "text" as const, text: JSON.stringify({ error }) }],
    structuredContent: { error },
  };
}

/** A fresh low-level Server for one stateless request, acting as the PAT's owner. */
export function platformServer(s: Services, p: PatPrincipal, ctx: AuditContext, requestId: string): Server {
  const tools = toolsFor(s) as Record<string, Tool<z.ZodType>>;
  const server = new Server({ name: "mogplex", version: "0.1.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: Object.entries(tools).map(([name, t]) => ({
      name,
      description: t.description,
      inputSchema: z.toJSONSchema(t.input, { io: "input", unrepresentable: "any" }) as { type: "object" },
      annotations: { readOnlyHint: t.scope === "read" },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const t = tools[req.params.name];
    if (!t) return failure("NOT_FOUND", `Unknown tool: ${req.params.name}`);
    // Same rule as the REST routes: the token's scope, and viewers never write.
    if (!p.scopes.includes(t.scope)) return failure("FORBIDDEN", missingScopeMessage(t.scope));
    if (t.scope === "write" && p.role === "viewer")
      return failure("FORBIDDEN", "Viewers have read-only access to this team");
    const parsed = t.input.safeParse(req.params.arguments ?? {});
    if (!parsed.success) return failure("BAD_REQUEST", validationMessage(parsed.error));
    try {
      const data = await t.run(parsed.data, p, ctx);
      return { content: [{ type: "text" as const, text: JSON.stringify(data) }], structuredContent: data };
    } catch (err) {
      if (err instanceof Failure) return failure(err.code, err.message);
      s.logger.error(
        { err: { name: (err as Error).name, message: (err as Error).message }, requestId },
        "platform mcp tool failed",
      );
      return failure("INTERNAL_ERROR", `Internal error (request ${requestId})`);
    }
  });
  return server;
}
