// Why an upstream MCP server failed, said three ways: a short reason for gateway clients (no upstream text), a
// sanitised message for the connections list, and log fields carrying the redacted stderr tail.
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { ResolvedServer } from "../../connections/service.js";
import { sanitizeEventText } from "../../sanitize/index.js";
import { GatewayError } from "../errors.js";
import type { StdioExit } from "../launch/launcher.js";
import { lastLines, redactedTail } from "../launch/stderr-tail.js";

/** The launcher could not start the process at all (no sandbox, a mount gone, spawn failed). */
export class LaunchError extends Error {
  override readonly name = "LaunchError";
}

/** The process started but the MCP handshake did not complete; `exit` is how it ended. */
export class StdioStartError extends Error {
  override readonly name = "StdioStartError";
  constructor(
    readonly reason: unknown,
    readonly exit: StdioExit,
  ) {
    super("stdio MCP server did not start");
  }
}

export interface FailureReport {
  /** Short and fixed in form: safe for any gateway client (tools/list `_meta`, errors). */
  reason: string;
  /** For the connections list (`lastError.message`): redacted. */
  message: string;
  /** For the warn log line: the redacted stderr tail and how the process ended. */
  log: Record<string, unknown>;
}

const NOT_FOUND_HINT =
  "install it under /usr, or mount its directory (admin add-mcp-server --mount, or MOGPLEX_MCP_STDIO_MOUNTS)";

const secretsOf = (c: ResolvedServer) => [...Object.values(c.env), ...Object.values(c.headers)];

const ending = (x: StdioExit) =>
  x.signal ? `was killed by ${x.signal}` : x.code === null ? "ended" : `exited with code ${x.code}`;

function timedOut(err: unknown): boolean {
  return err instanceof McpError && err.code === ErrorCode.RequestTimeout;
}

/** A process that ended (before or after its handshake) and what its stderr says. */
export function exitReport(c: ResolvedServer, x: StdioExit, phase: "start" | "running", cause?: unknown) {
  const stderr = redactedTail(x.stderr, secretsOf(c));
  const said = lastLines(stderr);
  const tail = said ? `; stderr: ${said}` : "; it wrote nothing to stderr";
  let reason: string;
  let message: string;
  if (x.code === 127) {
    reason = "command not found in its sandbox";
    message = `command not found inside its sandbox (exit 127)${tail}; ${NOT_FOUND_HINT}`;
  } else if (phase === "start" && x.stopped && timedOut(cause)) {
    reason = "did not answer the MCP handshake in time";
    message = `did not answer the MCP handshake in time and was stopped${tail}`;
  } else if (phase === "start" && x.stopped) {
    reason = "failed the MCP handshake";
    message = `failed the MCP handshake and was stopped${tail}`;
  } else {
    reason = phase === "start" ? `${ending(x)} before the MCP handshake` : `${ending(x)} unexpectedly`;
    message = `${reason}${tail}`;
  }
  return {
    reason,
    message,
    log: { exitCode: x.code, signal: x.signal, stderr },
  } satisfies FailureReport;
}

/** Any failure to connect: null when it was not the server's fault (the gateway is at capacity or closing). */
export function failureReport(c: ResolvedServer, err: unknown): FailureReport | null {
  if (err instanceof StdioStartError) return exitReport(c, err.exit, "start", err.reason);
  if (err instanceof LaunchError) {
    const message = `could not be started: ${sanitizeEventText(err.message, { knownSecrets: secretsOf(c) })}`;
    return { reason: "could not be started", message, log: { error: message } };
  }
  if (err instanceof StreamableHTTPError && err.code !== undefined && err.code > 0) {
    const reason = `answered HTTP ${err.code}`;
    return { reason, message: `${reason} when the gateway connected`, log: { status: err.code } };
  }
  if (timedOut(err)) {
    const reason = "did not answer the MCP handshake in time";
    return { reason, message: reason, log: {} };
  }
  if (!(err instanceof Error) || err instanceof GatewayError) return null;
  // Network errors and the like: the message can hold the URL (a query may carry a key), so it goes out.
  let text = err.message;
  if (c.url) {
    const u = new URL(c.url);
    text = text.split(c.url).join(`${u.origin}${u.pathname}`);
  }
  const cause = (err as { cause?: { code?: unknown } }).cause?.code;
  const detail = sanitizeEventText(`${text}${typeof cause === "string" ? ` (${cause})` : ""}`, {
    knownSecrets: secretsOf(c),
  }).slice(0, 300);
  return { reason: "unreachable", message: `could not connect: ${detail}`, log: { error: detail } };
}
