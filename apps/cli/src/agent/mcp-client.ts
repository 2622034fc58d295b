// One MCP connection for the agent (MCP SDK client): a stdio server started on this machine as mcp-sandbox.ts
// lays out (its configured environment plus PATH and HOME), or a Streamable HTTP server. `prefix`: the gateway names tools
// `<server>__<tool>`, so a gateway connection keeps one server's tools and strips the prefix.
import type { StdioLaunch } from "./mcp-sandbox.js";

const START_MS = 30_000;
const CALL_MS = 5 * 60_000;
const STDERR_TAIL = 2000;

type SdkClient = import("@modelcontextprotocol/sdk/client/index.js").Client;

export interface ListedTool {
  name: string;
  description?: string;
  inputSchema: unknown;
}

export class McpClient {
  private constructor(
    private readonly client: SdkClient,
    private readonly prefix: string,
  ) {}

  private static async open(
    transport: import("@modelcontextprotocol/sdk/shared/transport.js").Transport,
    prefix: string,
    stderrTail: () => string = () => "",
  ): Promise<McpClient> {
    const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
    const client = new Client({ name: "mogplex-cli", version: "1" });
    try {
      await client.connect(transport, { timeout: START_MS });
    } catch (err) {
      const tail = stderrTail().trim();
      await client.close().catch(() => undefined);
      throw new Error(`${(err as Error).message}${tail ? ` (stderr: ${tail.slice(-300)})` : ""}`);
    }
    return new McpClient(client, prefix);
  }

  static async stdio(launch: StdioLaunch): Promise<McpClient> {
    if (!launch.command) throw new Error("the config names no command");
    const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");
    const transport = new StdioClientTransport({ ...launch, stderr: "pipe" });
    let tail = "";
    transport.stderr?.on("data", (d: Buffer) => {
      tail = (tail + d.toString()).slice(-STDERR_TAIL);
    });
    return McpClient.open(transport, "", () => tail);
  }

  static async http(url: string, headers: Record<string, string>, prefix: string): Promise<McpClient> {
    if (!url) throw new Error("the config names no URL");
    const { StreamableHTTPClientTransport } = await import(
      "@modelcontextprotocol/sdk/client/streamableHttp.js"
    );
    const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
    return McpClient.open(transport, prefix);
  }

  async listTools(): Promise<ListedTool[]> {
    const out: ListedTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.listTools(cursor ? { cursor } : {}, { timeout: START_MS });
      for (const t of page.tools) {
        if (this.prefix && !t.name.startsWith(this.prefix)) continue;
        out.push({
          name: t.name.slice(this.prefix.length),
          description: t.description,
          inputSchema: t.inputSchema,
        });
      }
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  /** Calls a tool; its content as text for the model (an error result becomes a thrown Error). */
  async call(tool: string, input: unknown, signal: AbortSignal): Promise<string> {
    const r = await this.client.callTool(
      { name: `${this.prefix}${tool}`, arguments: (input ?? {}) as Record<string, unknown> },
      undefined,
      { signal, timeout: CALL_MS },
    );
    const content = Array.isArray(r.content) ? r.content : [];
    const text = content
      .map((p: { type: string; text?: string }) =>
        p.type === "text" ? (p.text ?? "") : `[${p.type} content]`,
      )
      .join("\n");
    if (r.isError) throw new Error(text || "the tool reported an error");
    return text || JSON.stringify(r.structuredContent ?? {});
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }
}
