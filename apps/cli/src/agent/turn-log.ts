// The session log's view of the agent: each turn (model, tool names, tokens, duration, how it ended) always;
// prompts and tool content only with MOGPLEX_DEBUG=1. SessionLog redacts every record before writing it.
import type { Ctx } from "../context.js";

export interface TurnRecord {
  model: string;
  tools: string[];
  inputTokens: number;
  outputTokens: number;
  steps: number;
  durationMs: number;
  reason: string;
  error?: string;
}

export function recordTurn(ctx: Ctx, r: TurnRecord): void {
  ctx.log.write("agent.turn", { ...r });
}

/** Called as each tool call ends: its name joins the turn's list; input and output go to the debug log only. */
export function toolLogger(ctx: Ctx, used: string[]) {
  return (name: string, input: unknown, output: string, ok: boolean, ms: number) => {
    used.push(name);
    ctx.log.write("agent.tool", { name, ok, durationMs: ms });
    ctx.log.debug("agent.tool_content", { name, input, output });
  };
}
