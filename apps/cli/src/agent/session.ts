// createAgentSession: one conversation with the model the winning credential routes to, the six local tools
// over the working folder, and (with an account) the synced MCP servers' tools. Front ends: tui/ and headless.ts.
import { type ModelMessage, stepCountIs, streamText } from "ai";
import type { Ctx } from "../context.js";
import { modelError } from "./model-errors.js";
import { Paths } from "./paths.js";
import { createRouter, parseModel, toRoute } from "./route.js";
import { createRunner } from "./sandbox.js";
import type { TurnContext } from "./step.js";
import { McpSync } from "./sync.js";
import { buildLocalTools } from "./tools.js";
import { recordTurn, toolLogger } from "./turn-log.js";
import type { AgentSession, ApprovalMode, TurnOptions } from "./types.js";

export const MAX_STEPS = 50;
const DEFAULT_REFUSAL = "not approved by the user";

function systemPrompt(cwd: string, sandboxLine: string): string {
  return [
    `You are Mogplex, a coding agent working in the user's terminal, in the folder ${cwd}.`,
    "Use the tools to inspect and change files and to run commands (build, tests). Paths are relative to that folder.",
    `Commands run ${sandboxLine}.`,
    "Make the change the user asks for, check it when you can, then reply with a short summary of what you did.",
  ].join("\n");
}

export async function createAgentSession(
  ctx: Ctx,
  o: { model?: string; mode: ApprovalMode; sandbox: boolean; network: boolean; cwd: string },
): Promise<AgentSession> {
  const router = createRouter(ctx);
  let model = o.model ? parseModel(o.model, router.provider) : await router.defaultModel();
  await router.check(model);
  let languageModel = await router.make(model);
  let mode = o.mode;
  const paths = new Paths(o.cwd, [ctx.home]);
  const hide = ctx.home.startsWith(`${paths.realCwd}/`) ? [ctx.home] : [];
  const runner = await createRunner({
    cwd: paths.realCwd,
    sandbox: o.sandbox,
    network: o.network,
    env: ctx.env,
    hide,
  });
  const sync = router.account ? new McpSync(ctx, router.account, o.sandbox) : null;
  let current: TurnContext | null = null;
  const turnContext = () => {
    if (!current) throw new Error("a tool ran outside a turn");
    return current;
  };
  const localTools = buildLocalTools({ paths, runner, turn: turnContext });
  const system = systemPrompt(paths.realCwd, runner.description);
  let history: ModelMessage[] = [];
  ctx.log.write("agent.start", {
    via: router.via,
    model,
    mode,
    sandboxed: runner.sandboxed,
    network: runner.network,
  });

  const session: AgentSession = {
    get route() {
      return toRoute(router, model);
    },
    get mode() {
      return mode;
    },
    setMode(m) {
      mode = m;
    },
    async setModel(next) {
      const id = parseModel(next, router.provider);
      await router.check(id);
      languageModel = await router.make(id);
      model = id;
    },
    models: () => router.catalogue(),
    mcp: async () => (sync ? sync.list() : []),
    async turn(prompt, t: TurnOptions) {
      const started = Date.now();
      const usage = { inputTokens: 0, outputTokens: 0 };
      const toolsUsed: string[] = [];
      current = {
        signal: t.signal,
        mode,
        approve: t.approve,
        refusalNote: t.refusalNote ?? DEFAULT_REFUSAL,
        emit: t.onEvent,
        finished: toolLogger(ctx, toolsUsed),
        inflight: new Set(),
      };
      const inflight = current.inflight;
      ctx.log.debug("agent.prompt", { prompt });
      const messages: ModelMessage[] = [...history, { role: "user", content: prompt }];
      const tools = { ...localTools, ...(sync ? await sync.tools(turnContext) : {}) };
      let failure: unknown;
      let steps = 0;
      let text = "";
      const result = streamText({
        model: languageModel,
        system,
        messages,
        tools,
        stopWhen: stepCountIs(MAX_STEPS),
        abortSignal: t.signal,
        maxRetries: 1,
        onError: ({ error }) => {
          failure ??= error;
        },
      });
      try {
        for await (const part of result.fullStream) {
          if (part.type === "text-delta") {
            text += part.text;
            t.onEvent({ type: "text", delta: part.text });
          } else if (part.type === "finish-step") {
            steps++;
            const u = {
              inputTokens: part.usage.inputTokens ?? 0,
              outputTokens: part.usage.outputTokens ?? 0,
            };
            usage.inputTokens += u.inputTokens;
            usage.outputTokens += u.outputTokens;
            t.onEvent({ type: "usage", ...u });
          } else if (part.type === "error") failure ??= part.error;
        }
      } catch (err) {
        failure ??= err;
      } finally {
        await Promise.allSettled([...inflight]);
        current = null;
      }
      const reason = t.signal.aborted ? "cancelled" : steps >= MAX_STEPS ? "step_limit" : "done";
      const log = { model, tools: toolsUsed, ...usage, steps, durationMs: Date.now() - started };
      if (failure && !t.signal.aborted) {
        const e = modelError(failure, router.credential);
        recordTurn(ctx, { ...log, reason: "error", error: e.code });
        t.onEvent({ type: "error", message: e.message });
        throw e;
      }
      if (reason !== "cancelled") {
        const response = await result.response;
        history = [...messages, ...response.messages];
      }
      recordTurn(ctx, { ...log, reason });
      ctx.log.debug("agent.answer", { text });
      t.onEvent({ type: "turn_finished", text, reason });
      return { text, reason };
    },
    clear() {
      history = [];
    },
    async close() {
      await sync?.close();
    },
  };
  return session;
}
