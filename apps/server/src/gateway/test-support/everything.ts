// Test upstreams: the real, unmodified @modelcontextprotocol/server-everything over stdio and Streamable HTTP.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import type { Harness } from "../../test-support/harness.js";

const require = createRequire(import.meta.url);
const pkgFile = require.resolve("@modelcontextprotocol/server-everything/package.json");
const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { bin: Record<string, string> };
/** The package's own bin entry, run with this node. */
export const EVERYTHING_BIN = join(dirname(pkgFile), pkg.bin["mcp-server-everything"] ?? "dist/index.js");
const LOOPBACK_PRELOAD = fileURLToPath(new URL("./loopback-listen.mjs", import.meta.url));

/** Planted in the test process's environment: must never reach an upstream. */
/** A raw JSON-RPC `initialize` request, for tests that speak to an MCP endpoint without the SDK client. */
export const RAW_INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: "raw", version: "1" },
  },
} as const;

export const SENTINEL = "MOGPLEX_SENTINEL_SECRET";
export const SENTINEL_VALUE = "sentinel-value-that-must-not-leak";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface HttpUpstream {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** server-everything `streamableHttp` on 127.0.0.1 with an environment holding no secrets (PATH and PORT only). */
export async function startHttpEverything(port?: number): Promise<HttpUpstream> {
  const p = port ?? (await freePort());
  const child = spawn(process.execPath, ["--import", LOOPBACK_PRELOAD, EVERYTHING_BIN, "streamableHttp"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PORT: String(p) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let err = "";
    const t = setTimeout(() => reject(new Error(`server-everything did not start: ${err}`)), 20_000);
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("listening on port")) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`server-everything exited ${code}: ${err}`)));
  });
  child.stderr?.resume();
  return {
    url: `http://127.0.0.1:${p}/mcp`,
    port: p,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

export function stdioEverything(env: Record<string, string> = {}) {
  return { command: process.execPath, args: [EVERYTHING_BIN, "stdio"], env };
}

/** The harness's app on a real socket (the SDK client speaks HTTP), on 127.0.0.1 and a free port. */
export async function listen(h: Harness): Promise<{ base: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: h.app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
      resolve({
        base: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((r) => {
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}

export async function mcpClient(
  base: string,
  key: string,
  o: { header?: "bearer" | "x-api-key"; sse?: boolean; onNotification?: (method: string) => void } = {},
): Promise<Client> {
  const headers: Record<string, string> =
    o.header === "x-api-key" ? { "X-API-Key": key } : { Authorization: `Bearer ${key}` };
  const client = new Client({ name: "test", version: "1.0.0" });
  if (o.onNotification) {
    const note = o.onNotification;
    client.fallbackNotificationHandler = async (n) => note(n.method);
  }
  const transport = o.sse
    ? new SSEClientTransport(new URL(`${base}/mcp/sse`), {
        requestInit: { headers },
        eventSourceInit: {
          fetch: (u, i) =>
            fetch(u, { ...i, headers: { ...(i?.headers as Record<string, string>), ...headers } }),
        },
      })
    : new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

/** Pids whose parent is this process (the upstream processes the gateway started). */
export function childPids(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === process.pid && fields[0] !== "Z") out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? "").join("");
}
