// An AgentSession whose turns are scripted by the test: the stand-in for the agent core when testing the screen.
import type {
  AgentSession,
  ApprovalMode,
  CatalogueModel,
  McpToolInfo,
  ModelRoute,
  TurnOptions,
} from "../../agent/types.js";

type Result = { text: string; reason: "done" | "cancelled" | "step_limit" };
export type TurnScript = (prompt: string, o: TurnOptions) => Promise<Result>;

export interface ScriptedSession extends AgentSession {
  prompts: string[];
  calls: string[];
  /** The script for the next turns, in order; a turn without one answers "ok". */
  script: TurnScript[];
}

export function scriptedSession(
  o: {
    route?: Partial<ModelRoute>;
    models?: CatalogueModel[];
    mcp?: Awaited<ReturnType<AgentSession["mcp"]>>;
  } = {},
): ScriptedSession {
  let route: ModelRoute = {
    via: "account",
    credential: "Mogplex account login for http://127.0.0.1:4100 (token mog_test…)",
    model: "openai/gpt-4.1-mini",
    ...o.route,
  };
  let mode: ApprovalMode = "ask";
  const s: ScriptedSession = {
    prompts: [],
    calls: [],
    script: [],
    get route() {
      return route;
    },
    get mode() {
      return mode;
    },
    setMode(m) {
      s.calls.push(`setMode ${m}`);
      mode = m;
    },
    async setModel(model) {
      s.calls.push(`setModel ${model}`);
      if (model.startsWith("denied/")) throw new Error(`${model} is not allowed for your team`);
      route = { ...route, model };
    },
    async models() {
      return o.models ?? [];
    },
    async mcp() {
      return o.mcp ?? [];
    },
    async turn(prompt, t) {
      s.prompts.push(prompt);
      const next = s.script.shift();
      if (next) return next(prompt, t);
      t.onEvent({ type: "text", delta: "ok" });
      return { text: "ok", reason: "done" };
    },
    clear() {
      s.calls.push("clear");
    },
    async close() {
      s.calls.push("close");
    },
  };
  return s;
}

export const tool = (server: string, name: string): McpToolInfo => ({
  server,
  name: `${server}__${name}`,
  description: `${name} on ${server}`,
});

/** A promise and its resolve, to hold a turn at a point the test controls. */
export function gate<T = void>(): { promise: Promise<T>; open: (v: T) => void } {
  let open!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    open = r;
  });
  return { promise, open };
}
