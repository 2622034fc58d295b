// One tool call with its events: tool_started, then tool_finished with the (redacted, clipped) output or the
// error; failures go back to the model as text, aborts stop the loop.
import { clip, type RunEmitter } from "../emitter.js";
import type { ChangeTracker } from "./changes.js";
import { PathError } from "./paths.js";

/** A failure whose message is meant for the model (and the run's events) as it is. */
export class ToolFailure extends Error {}

export interface StepEnv {
  emit: RunEmitter;
  signal: AbortSignal;
  /** Reports files changed by a mutating call; absent for tools that never touch the workspace. */
  changes?: ChangeTracker;
}

export interface StepResult {
  text: string;
  exitCode?: number | null;
  mutates?: boolean;
  extra?: Record<string, unknown>;
}

export type Step = (
  name: string,
  shownArgs: Record<string, unknown>,
  body: () => Promise<StepResult>,
) => Promise<string>;

export function makeStep(env: StepEnv): Step {
  const { emit } = env;
  return async (name, shownArgs, body) => {
    const started = Date.now();
    await emit.emit({
      type: "tool_started",
      toolName: name,
      message: `${name} started`,
      payload: { arguments: shownArgs },
    });
    try {
      const r = await body();
      if (env.signal.aborted) throw env.signal.reason;
      await emit.emit({
        type: "tool_finished",
        toolName: name,
        message: `${name} finished${r.exitCode === undefined ? "" : ` (exit ${r.exitCode})`}`,
        payload: {
          output: clip(emit.redact(r.text)),
          ...(r.exitCode === undefined ? {} : { exitCode: r.exitCode }),
          durationMs: Date.now() - started,
          ...r.extra,
        },
      });
      if (r.mutates && env.changes) {
        for (const c of await env.changes.snapshot(env.signal)) {
          await emit.emit({
            type: "file_changed",
            toolName: name,
            message: `${c.path} +${c.added} -${c.removed}`,
            payload: { path: c.path, added: c.added, removed: c.removed, binary: c.binary },
          });
        }
      }
      return r.text;
    } catch (err) {
      if (env.signal.aborted) throw err;
      const message =
        err instanceof ToolFailure || err instanceof PathError
          ? err.message
          : String((err as Error).message ?? err);
      await emit.emit({
        type: "tool_finished",
        toolName: name,
        message: `${name} failed`,
        payload: { error: clip(emit.redact(message)), durationMs: Date.now() - started },
      });
      return `Error: ${message}`;
    }
  };
}
