// The team's tools in the harness, beside the built-ins: each MCP tool under exactly its gateway name, and one
// `http_request` tool for the run's REST connections. Every call runs here, on the host (never in the
// sandbox), reports itself as tool_started/tool_finished, and its result reaches the model redacted and cut.
import { jsonSchema, type ToolSet, tool } from "ai";
import { z } from "zod";
import { RestRefusal, restRequest } from "../../run-tools/rest.js";
import type { OpenedRunTools } from "../../run-tools/service.js";
import { clip, type RunEmitter } from "../emitter.js";
import { makeStep, ToolFailure } from "./step.js";

export interface TeamToolEnv {
  emit: RunEmitter;
  signal: AbortSignal;
  /** Marks the run active (the sandbox's idle timer): a long tool call is work, not idleness. */
  activity: () => void;
  /** Team tool calls one run may make in all; past it each call is refused. */
  maxCalls: number;
}

/** Added to the system prompt when a run has team tools. */
export const TEAM_TOOLS_PROMPT = [
  "The team's tools (named server__tool, and http_request for REST connections) run on the Mogplex server,",
  "outside the sandbox; credentials are added for you and are never shown. Use them only as the task needs.",
].join("\n");

/** What the model gets back from one call at most. */
export const TEAM_RESULT_MAX = 32_000;

/** An MCP tool result as text: text parts as they are, other parts named, structured content as JSON. */
export function resultText(result: Record<string, unknown>): string {
  const content = Array.isArray(result.content) ? (result.content as Array<Record<string, unknown>>) : [];
  const parts = content.map((c) =>
    c.type === "text" && typeof c.text === "string" ? c.text : `[${String(c.type)} content not shown]`,
  );
  if (parts.length === 0 && result.structuredContent !== undefined)
    parts.push(JSON.stringify(result.structuredContent));
  const text = parts.join("\n");
  return result.isError === true ? `Error: ${text}` : text;
}

export function buildTeamTools(opened: OpenedRunTools, env: TeamToolEnv): ToolSet {
  const step = makeStep(env);
  const { emit } = env;
  let calls = 0;
  const counted = () => {
    if (++calls > env.maxCalls)
      throw new ToolFailure(`this run has used its ${env.maxCalls} team tool calls; no more are allowed`);
  };
  /** Credentials and known patterns out, then cut: what both the events and the model see. */
  const safe = (text: string) => clip(emit.redact(text), TEAM_RESULT_MAX);
  const tools: ToolSet = {};
  for (const t of opened.mcp) {
    tools[t.name] = tool({
      description: t.description || `${t.name} (MCP server ${t.server})`,
      inputSchema: jsonSchema<Record<string, unknown>>({ type: "object", ...t.inputSchema }),
      execute: (args) =>
        step(t.name, { arguments: args, server: t.server }, async () => {
          counted();
          env.activity();
          try {
            const r = await opened.callMcp(t.name, args, env.signal);
            if (r.error !== undefined) throw new ToolFailure(safe(r.error));
            const text = safe(resultText(r.result ?? {}));
            return { text, extra: { server: t.server, isError: r.result?.isError === true } };
          } finally {
            env.activity();
          }
        }),
    });
  }
  if (opened.rest.length > 0) {
    const names = opened.rest.map((r) => r.name) as [string, ...string[]];
    const described = opened.rest.map((r) => `${r.name}: ${r.url} (${r.methods.join(", ")})`).join("; ");
    tools.http_request = tool({
      description:
        "Make an HTTP request through one of the team's REST connections. The path is relative to the " +
        `connection's base URL; credentials are added for you. Connections: ${described}.`,
      inputSchema: z.object({
        connection: z.enum(names),
        method: z.string().min(1).max(10),
        path: z.string().max(2000),
        query: z.record(z.string(), z.string()).optional(),
        headers: z.record(z.string(), z.string().max(4000)).optional(),
        body: z.string().max(1_000_000).optional(),
      }),
      execute: (input) =>
        step(
          "http_request",
          { connection: input.connection, method: input.method, path: input.path, query: input.query },
          async () => {
            counted();
            const target = opened.rest.find((r) => r.name === input.connection);
            if (!target) throw new ToolFailure(`no REST connection ${input.connection} in this run`);
            const started = performance.now();
            env.activity();
            try {
              const r = await restRequest(target, input, env.signal);
              opened.logRest(target.name, r.ok ? "ok" : "error", performance.now() - started);
              return {
                text: safe(r.text),
                extra: { connection: target.name, status: r.status, bytes: r.bytes },
              };
            } catch (err) {
              const outcome = env.signal.aborted
                ? "cancelled"
                : err instanceof RestRefusal
                  ? "denied"
                  : "error";
              opened.logRest(target.name, outcome, performance.now() - started);
              if (env.signal.aborted) throw err;
              throw new ToolFailure(safe(err instanceof Error ? err.message : String(err)));
            } finally {
              env.activity();
            }
          },
        ),
    });
  }
  return tools;
}
