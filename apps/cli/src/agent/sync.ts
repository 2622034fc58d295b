// Synced MCP configuration (account login only): GET /api/v1/mogplex/mcp/servers at start, kept in memory only
// (nothing synced is written to disk, so after logout nothing remains). stdio servers start on this machine on
// demand, in bubblewrap unless --no-sandbox (mcp-sandbox.ts); HTTP servers go through the gateway at
// <server>/mcp with the account's PAT (or MOGPLEX_GATEWAY_KEY, a gateway key, when set), so the servers' own
// headers stay on the server. Tools are offered as `<server>__<tool>`.
import type { McpServerConfig } from "@mogplex/contract";
import { dynamicTool, jsonSchema, type ToolSet } from "ai";
import type { Ctx } from "../context.js";
import { McpClient } from "./mcp-client.js";
import { hostLaunch, type StdioLaunch, sandboxedLaunch } from "./mcp-sandbox.js";
import type { Account } from "./route.js";
import { runStep, ToolRefused, type TurnContext } from "./step.js";
import type { McpToolInfo } from "./types.js";

interface Entry {
  server: string;
  transport: "stdio" | "http";
  client?: McpClient;
  tools: Array<McpToolInfo & { inputSchema: unknown }>;
  error?: string;
}

export class McpSync {
  private loaded: Promise<Entry[]> | undefined;

  private toolSet: Promise<ToolSet> | undefined;

  private readonly launches: StdioLaunch[] = [];

  constructor(
    private readonly ctx: Ctx,
    private readonly account: Account,
    /** false with --no-sandbox: stdio servers then run on this machine as the user. */
    private readonly sandbox: boolean,
  ) {}

  private load(): Promise<Entry[]> {
    this.loaded ??= (async () => {
      let configs: McpServerConfig[];
      try {
        configs = (await this.account.client.listMcpServers({ limit: 100 })).servers;
      } catch (err) {
        return [
          {
            server: "(config)",
            transport: "http",
            tools: [],
            error: `could not load the synced MCP config: ${(err as Error).message}`,
          },
        ];
      }
      for (const c of configs) {
        for (const v of [...Object.values(c.headers), ...Object.values(c.env)]) this.ctx.log.secret(v);
      }
      const gatewayKey = this.ctx.env.MOGPLEX_GATEWAY_KEY?.trim() || this.account.token;
      this.ctx.log.secret(gatewayKey);
      this.ctx.log.write("agent.mcp_sync", {
        servers: configs.map((c) => ({ name: c.name, transport: c.transport })),
      });
      return Promise.all(configs.map((c) => this.start(c, gatewayKey)));
    })();
    return this.loaded;
  }

  private async start(c: McpServerConfig, gatewayKey: string): Promise<Entry> {
    const transport = c.transport === "stdio" ? "stdio" : "http";
    const entry: Entry = { server: c.name, transport, tools: [] };
    try {
      const client =
        transport === "stdio"
          ? await this.stdio(c)
          : await McpClient.http(
              `${this.account.url}/mcp`,
              { authorization: `Bearer ${gatewayKey}` },
              `${c.name}__`,
            );
      entry.client = client;
      entry.tools = (await client.listTools()).map((t) => ({
        server: c.name,
        name: `${c.name}__${t.name}`,
        description: t.description ?? "",
        inputSchema: t.inputSchema,
      }));
    } catch (err) {
      entry.error = `MCP server ${c.name} (${transport}) failed to start: ${(err as Error).message}`;
      this.ctx.log.write("agent.mcp_error", { server: c.name, message: entry.error });
    }
    return entry;
  }

  private async stdio(c: McpServerConfig): Promise<McpClient> {
    const launch = this.sandbox ? await sandboxedLaunch(c, this.ctx.env) : hostLaunch(c, this.ctx.env);
    this.launches.push(launch);
    return McpClient.stdio(launch);
  }

  async list() {
    return (await this.load()).map((e) => ({
      server: e.server,
      transport: e.transport,
      tools: e.tools.map(({ server, name, description }) => ({ server, name, description })),
      ...(e.error ? { error: e.error } : {}),
    }));
  }

  /** Built once: the servers' tools do not change, and `turn` reads the current turn when a tool runs. */
  tools(turn: () => TurnContext): Promise<ToolSet> {
    this.toolSet ??= this.build(turn);
    return this.toolSet;
  }

  private async build(turn: () => TurnContext): Promise<ToolSet> {
    const set: ToolSet = {};
    for (const e of await this.load()) {
      const client = e.client;
      if (!client) continue;
      for (const t of e.tools) {
        set[t.name] = dynamicTool({
          description: t.description,
          inputSchema: jsonSchema((t.inputSchema ?? { type: "object" }) as Parameters<typeof jsonSchema>[0]),
          execute: (input, { toolCallId }) =>
            runStep(turn, t.name, toolCallId, input, async (ctx) => {
              const request = {
                kind: "command" as const,
                command: `${t.name} ${JSON.stringify(input)}`,
                sandboxed: false,
                network: true,
                mcp: { server: e.server, tool: t.name.slice(e.server.length + 2) },
              };
              if (ctx.mode === "ask" && !(await ctx.approve(request))) {
                throw new ToolRefused(`calling ${t.name}: ${ctx.refusalNote}`);
              }
              const text = await client.call(t.name.slice(e.server.length + 2), input, ctx.signal);
              return { text, summary: `called ${t.name}` };
            }),
        });
      }
    }
    return set;
  }

  async close(): Promise<void> {
    const entries = this.loaded ? await this.loaded : [];
    await Promise.all(entries.map((e) => e.client?.close()));
    for (const l of this.launches) l.cleanup();
  }
}
