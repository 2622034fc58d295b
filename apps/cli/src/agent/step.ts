// One tool call of the terminal agent as the front ends see it: tool_started, then tool_finished with a
// summary (and a diff for writes); failures and refusals go back to the model as text, aborts end the turn.
import type { AgentEvent, ApprovalMode, ApprovalRequest } from "./types.js";

const EVENT_OUTPUT_MAX = 8_000;
export const MODEL_OUTPUT_MAX = 32_000;

/** What a tool needs of the turn it runs in. */
export interface TurnContext {
  signal: AbortSignal;
  mode: ApprovalMode;
  /** Asks (or decides by mode); false refuses. */
  approve(request: ApprovalRequest): Promise<boolean>;
  refusalNote: string;
  emit(e: AgentEvent): void;
  /** Session-log hook: tool name, duration, ok (content only with MOGPLEX_DEBUG=1, handled by the caller). */
  finished(name: string, input: unknown, output: string, ok: boolean, ms: number): void;
  /** Tool calls still running: a cancelled turn waits for them (their processes killed) before it ends. */
  inflight: Set<Promise<unknown>>;
}

export class ToolRefused extends Error {}

export const clip = (s: string, max: number) =>
  s.length > max ? `${s.slice(0, max)}\n…[${s.length - max} more characters]` : s;

export interface Outcome {
  text: string;
  summary: string;
  diff?: string;
}

/** Wraps a tool body with its events; failures and refusals go back to the model as text. */
export function runStep(
  turn: () => TurnContext,
  name: string,
  id: string,
  input: unknown,
  body: (t: TurnContext) => Promise<Outcome>,
): Promise<string> {
  const t = turn();
  const started = Date.now();
  t.emit({ type: "tool_started", id, name, input });
  const running = body(t);
  t.inflight.add(running);
  void running.finally(() => t.inflight.delete(running)).catch(() => undefined);
  return running.then(
    (r) => {
      t.emit({
        type: "tool_finished",
        id,
        name,
        ok: true,
        summary: r.summary,
        diff: r.diff,
        output: clip(r.text, EVENT_OUTPUT_MAX),
      });
      t.finished(name, input, r.text, true, Date.now() - started);
      return clip(r.text, MODEL_OUTPUT_MAX);
    },
    (err: unknown) => {
      if (t.signal.aborted) throw err;
      const message = (err as Error)?.message ?? String(err);
      const summary = err instanceof ToolRefused ? "refused" : "failed";
      t.emit({
        type: "tool_finished",
        id,
        name,
        ok: false,
        summary: `${summary}: ${message}`,
        output: message,
      });
      t.finished(name, input, message, false, Date.now() - started);
      return `Error: ${message}`;
    },
  );
}
