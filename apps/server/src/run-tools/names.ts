// Run tool names: `<server>__<tool>` and `<server>__*` (MCP through the gateway), `rest:<connection>`.

export type RunToolSpec =
  | { kind: "mcp"; raw: string; server: string; tool: string | null } // tool null = every tool of the server
  | { kind: "rest"; raw: string; connection: string };

export function parseRunTool(raw: string): RunToolSpec {
  if (raw.startsWith("rest:")) return { kind: "rest", raw, connection: raw.slice(5) };
  const at = raw.indexOf("__");
  const server = raw.slice(0, at);
  const tool = raw.slice(at + 2);
  return { kind: "mcp", raw, server, tool: tool === "*" ? null : tool };
}

/** Whether a policy pattern lets a run ask for `wanted` (itself a name or a `server__*` pattern). */
export function policyAllows(policy: readonly string[] | null, wanted: string): boolean {
  if (policy === null) return true;
  const w = parseRunTool(wanted);
  return policy.some((pattern) => {
    if (pattern === wanted) return true;
    const p = parseRunTool(pattern);
    return p.kind === "mcp" && w.kind === "mcp" && p.tool === null && p.server === w.server;
  });
}

/** Whether an exposed gateway tool of `server` is one of the run's tools. */
export function runWants(specs: readonly RunToolSpec[], server: string, exposed: string): boolean {
  return specs.some(
    (s) =>
      s.kind === "mcp" &&
      s.server === server &&
      (s.tool === null || s.tool === exposed.slice(server.length + 2)),
  );
}

export const dedupe = (tools: readonly string[]): string[] => [...new Set(tools)];
