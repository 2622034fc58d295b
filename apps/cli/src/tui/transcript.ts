// What the session screen shows, as data: finished items (printed once, above) and live ones (the turn in
// progress), updated from the agent's events. Pure, so the rules are unit-tested without a terminal.
import type { AgentEvent, ApprovalRequest } from "../agent/types.js";

export type Tone = "info" | "error" | "warn" | "dim";

export type Item =
  | { kind: "user"; text: string }
  | { kind: "assistant"; text: string }
  | {
      kind: "tool";
      id: string;
      name: string;
      detail: string;
      state: "running" | "ok" | "failed";
      summary?: string;
      diff?: string;
      /** The diff was printed with the write's answered approval just above, so it is not repeated. */
      diffShown?: boolean;
      output?: string;
    }
  /** A write the user allowed or refused, printed with the diff they were asked about. */
  | { kind: "answer"; allowed: boolean; path: string; outsideWorkingTree: boolean; diff: string }
  | { kind: "note"; text: string; tone: Tone };

export interface Transcript {
  /** Printed once (Ink's Static); never changes again. */
  done: Array<Item & { key: number }>;
  /** The turn in progress: streaming text and running tools. */
  live: Item[];
  nextKey: number;
  usage: { inputTokens: number; outputTokens: number };
}

export const emptyTranscript = (): Transcript => ({
  done: [],
  live: [],
  nextKey: 0,
  usage: { inputTokens: 0, outputTokens: 0 },
});

/** Moves items to the printed part, in order. */
export function commit(t: Transcript, items: Item[]): Transcript {
  if (items.length === 0) return t;
  const done = [...t.done];
  let key = t.nextKey;
  for (const item of items) done.push({ ...item, key: key++ });
  return { ...t, done, nextKey: key };
}

export const note = (t: Transcript, text: string, tone: Tone = "info") =>
  commit(t, [{ kind: "note", text, tone }]);

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

/** The one line that says what a tool call is about: the command, the path, the pattern, or its input. */
export function toolDetail(input: unknown): string {
  const o = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  const known = str(o.command) ?? str(o.path) ?? str(o.pattern) ?? str(o.query);
  if (known !== undefined) return known;
  const json = JSON.stringify(input ?? {});
  return json.length > 100 ? `${json.slice(0, 99)}…` : json;
}

/** Prints the user's answer to a write's approval, with its diff; other answers leave no line of their own. */
export function answered(t: Transcript, request: ApprovalRequest, allowed: boolean): Transcript {
  if (request.kind !== "write") return t;
  const { path, outsideWorkingTree, diff } = request;
  return commit(t, [{ kind: "answer", allowed, path, outsideWorkingTree, diff }]);
}

/** Whether this turn printed an allowed write's approval with exactly this diff (the tool's diff is then not repeated). */
function approvedWith(t: Transcript, diff: string | undefined): boolean {
  if (!diff) return false;
  for (let i = t.done.length - 1; i >= 0; i--) {
    const item = t.done[i];
    if (item?.kind === "user") return false;
    if (item?.kind === "answer" && item.allowed && item.diff === diff) return true;
  }
  return false;
}

/** Starts a turn: the prompt is printed, the live part is empty. */
export function startTurn(t: Transcript, prompt: string): Transcript {
  return { ...commit({ ...t, live: [] }, [...t.live, { kind: "user", text: prompt }]), usage: zero() };
}

const zero = () => ({ inputTokens: 0, outputTokens: 0 });

export function apply(t: Transcript, e: AgentEvent): Transcript {
  switch (e.type) {
    case "text": {
      const last = t.live[t.live.length - 1];
      const text = last?.kind === "assistant" ? last.text + e.delta : e.delta;
      const before = last?.kind === "assistant" ? t.live.slice(0, -1) : t.live;
      // Finished paragraphs are printed as they complete, so a long answer never outgrows the live area.
      const cut = text.lastIndexOf("\n\n");
      if (cut <= 0) return { ...t, live: [...before, { kind: "assistant", text }] };
      const printed = commit(t, [
        ...before.filter((i) => i.kind !== "tool"),
        { kind: "assistant", text: text.slice(0, cut) },
      ]);
      const rest = text.slice(cut + 2);
      const running = before.filter((i) => i.kind === "tool");
      return { ...printed, live: rest ? [...running, { kind: "assistant", text: rest }] : running };
    }
    case "tool_started": {
      // Text before a tool call is finished: print it, keep running tools live.
      const finished = t.live.filter((i) => i.kind !== "tool");
      const running = t.live.filter((i) => i.kind === "tool");
      const tool: Item = {
        kind: "tool",
        id: e.id,
        name: e.name,
        detail: toolDetail(e.input),
        state: "running",
      };
      return { ...commit(t, finished), live: [...running, tool] };
    }
    case "tool_finished": {
      const started = t.live.find((i) => i.kind === "tool" && i.id === e.id);
      const shown = approvedWith(t, e.diff);
      const tool: Item = {
        kind: "tool",
        id: e.id,
        name: e.name,
        detail: started?.kind === "tool" ? started.detail : "",
        state: e.ok ? "ok" : "failed",
        summary: e.summary,
        ...(shown ? { diffShown: true } : { diff: e.diff }),
        output: e.output,
      };
      return { ...commit(t, [tool]), live: t.live.filter((i) => i !== started) };
    }
    case "usage":
      return {
        ...t,
        usage: {
          inputTokens: t.usage.inputTokens + e.inputTokens,
          outputTokens: t.usage.outputTokens + e.outputTokens,
        },
      };
    case "error": {
      const running = t.live.filter((i) => i.kind === "tool");
      const printed = commit(
        t,
        t.live.filter((i) => i.kind !== "tool"),
      );
      return { ...note(printed, e.message, "error"), live: running };
    }
    case "turn_finished":
      // The front end closes the turn when turn() resolves (finishTurn), once.
      return t;
  }
}

/** Prints what is left of the turn and a closing line (cancelled, step limit, token counts). */
export function finishTurn(t: Transcript, reason: "done" | "cancelled" | "step_limit"): Transcript {
  const live = t.live.map(
    (i): Item =>
      i.kind === "tool" && i.state === "running" ? { ...i, state: "failed", summary: "cancelled" } : i,
  );
  let next = commit({ ...t, live: [] }, live);
  if (reason === "cancelled") next = note(next, "Turn cancelled.", "warn");
  if (reason === "step_limit") next = note(next, "Stopped: the turn reached its step limit.", "warn");
  const u = t.usage;
  if (u.inputTokens + u.outputTokens > 0)
    next = note(next, `tokens: ${u.inputTokens} in · ${u.outputTokens} out`, "dim");
  return { ...next, usage: zero() };
}
