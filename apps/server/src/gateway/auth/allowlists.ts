// The server and tool allowlists of a gateway principal (a key, or an OAuth grant), checked when it is made.
import { badRequest } from "../../failure.js";

/**
 * Refuses a server the team does not have and a tool of a server outside the list (400 naming it). `holder`
 * words the message ("key", "app"). `servers` null = every server; `tools` null = every tool of them.
 */
export async function checkAllowlists(
  serverNames: () => Promise<Set<string>>,
  servers: readonly string[] | null,
  tools: readonly string[] | null,
  holder: string,
): Promise<void> {
  if (servers) {
    const known = await serverNames();
    const unknown = servers.find((s) => !known.has(s));
    if (unknown) throw badRequest(`servers: no MCP server named ${unknown} in this team`);
  }
  if (tools && servers) {
    const stray = tools.find((t) => !servers.includes(t.slice(0, t.indexOf("__"))));
    if (stray) throw badRequest(`tools: ${stray} belongs to a server the ${holder} is not allowed`);
  }
}
