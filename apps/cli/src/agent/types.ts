// The contract between the terminal agent's core (agent/) and its front ends: the interactive session
// (tui/) and headless `mogplex -p` (agent/headless.ts). The core never writes to the terminal itself.

/** ask: approve every command and every write; auto-edit: writes inside the working tree need no approval;
 * full-auto: nothing asks (commands still run in the sandbox when one is in use). */
export type ApprovalMode = "ask" | "auto-edit" | "full-auto";

export type ApprovalRequest =
  | {
      kind: "command";
      command: string;
      sandboxed: boolean;
      network: boolean;
      /** Set when this is a call of a synced MCP server's tool (command then reads `<server>__<tool> {args}`). */
      mcp?: { server: string; tool: string };
    }
  | { kind: "write"; path: string; outsideWorkingTree: boolean; diff: string };

/** Answers one request; resolves true to go ahead. A front end without a person (headless) decides by mode. */
export type Approver = (request: ApprovalRequest) => Promise<boolean>;

/** Which credential the session's model calls use, named for people (never the secret itself). */
export interface ModelRoute {
  /** "account": through the Mogplex server's model endpoint; "provider": straight to a provider. */
  via: "account" | "provider";
  /** e.g. "Mogplex account login for https://… (token mog_ab12…)" or "environment variable OPENAI_API_KEY". */
  credential: string;
  /** provider/model, e.g. "openai/gpt-4.1-mini". */
  model: string;
}

export interface CatalogueModel {
  id: string;
  hasCredentials: boolean;
  allowed: boolean;
}

export interface McpToolInfo {
  server: string;
  /** As offered to the model: `<server>__<tool>`. */
  name: string;
  description: string;
}

/** What a turn reports while it runs, in order. `text` chunks concatenate to the answer. */
export type AgentEvent =
  | { type: "text"; delta: string }
  | { type: "tool_started"; id: string; name: string; input: unknown }
  | {
      type: "tool_finished";
      id: string;
      name: string;
      ok: boolean;
      /** Short human summary ("wrote src/a.ts", "exit 0", "refused by you"). */
      summary: string;
      /** Unified diff for write_file / edit_file. */
      diff?: string;
      output?: string;
    }
  | { type: "usage"; inputTokens: number; outputTokens: number }
  | { type: "turn_finished"; text: string; reason: "done" | "cancelled" | "step_limit" }
  | { type: "error"; message: string };

export interface TurnOptions {
  signal: AbortSignal;
  approve: Approver;
  onEvent: (e: AgentEvent) => void;
  /** What the model is told when a request is refused (default: the user did not approve it). */
  refusalNote?: string;
}

/** One conversation: history survives between turns until clear(). */
export interface AgentSession {
  readonly route: ModelRoute;
  readonly mode: ApprovalMode;
  setMode(mode: ApprovalMode): void;
  /** Switches the model for later turns; rejects with a message naming why if it can't be used. */
  setModel(model: string): Promise<void>;
  /** The synced catalogue with an account login; the provider's known models with a direct key. */
  models(): Promise<CatalogueModel[]>;
  /** MCP servers and their tools (synced config with an account login; none otherwise). */
  mcp(): Promise<{ server: string; transport: "stdio" | "http"; tools: McpToolInfo[]; error?: string }[]>;
  /**
   * Runs one turn. A failed model call emits an `error` event and then rejects with a CliError (errors.ts) whose
   * exitCode says why (64 unauthenticated, 65 forbidden, 69 unavailable, 75 rate-limited, 1 other).
   */
  turn(
    prompt: string,
    o: TurnOptions,
  ): Promise<{ text: string; reason: "done" | "cancelled" | "step_limit" }>;
  clear(): void;
  close(): Promise<void>;
}
