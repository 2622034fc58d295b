// Synced MCP config for the terminal agent against a real `mogplex serve`: with an account login the session
// loads the team's MCP servers, starts the stdio one on this machine on demand (sandboxed), reaches the HTTP one
// through the server's gateway with the account's PAT (or MOGPLEX_GATEWAY_KEY), shows a server that fails to start
// with its error, offers `<server>__<tool>` to the model (asking first in ask mode); after logout nothing synced
// remains on disk and the session can't start.
import { mkdirSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ScriptedModel,
  startScriptedModel,
} from "../../../server/src/engine/test-support/scripted-model.js";
import {
  EVERYTHING_BIN,
  type HttpUpstream,
  startHttpEverything,
} from "../../../server/src/gateway/test-support/everything.js";
import { createAgentSession } from "../agent/session.js";
import type { AgentEvent, AgentSession, ApprovalRequest } from "../agent/types.js";
import { testCtx } from "../test-support/ctx.js";
import { type Fixture, signIn, startFixture } from "./cli-support.js";
import { cleanup, ensureBuilt, ROOT } from "./support.js";

let fx: Fixture;
let model: ScriptedModel;
let remote: HttpUpstream;
let teamId: string | undefined;

beforeAll(async () => {
  ensureBuilt();
  model = await startScriptedModel({ models: ["scripted-coder"] });
  remote = await startHttpEverything();
  fx = await startFixture({
    MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
    MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
  });
  const repos = await fetch(`${fx.url}/api/v1/mogplex/repos`, {
    headers: { authorization: `Bearer ${fx.token}` },
  });
  const teamId = ((await repos.json()) as { data: { repos: Array<{ teamId: string }> } }).data.repos[0]
    ?.teamId;
  const cookie = await signIn(fx.url, fx.email);
  for (const body of [
    {
      kind: "mcp_server",
      name: "everything",
      command: process.execPath,
      args: [EVERYTHING_BIN, "stdio"],
      mounts: [join(ROOT, "node_modules")],
    },
    {
      kind: "mcp_server",
      name: "broken",
      command: process.execPath,
      args: ["-e", "console.error('boom: missing config'); process.exit(3)"],
    },
    {
      kind: "mcp_server",
      name: "remote",
      url: remote.url,
      headers: { "X-Upstream-Token": "synced-header-value" },
    },
  ]) {
    const res = await fetch(`${fx.url}/api/teams/${teamId}/connections`, {
      method: "POST",
      headers: { cookie, origin: fx.url, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBe(201);
  }
}, 120_000);
afterAll(async () => {
  await fx?.stop();
  await remote?.stop();
  await model?.close();
  cleanup();
});

function loggedIn(env: Record<string, string> = {}) {
  const ctx = testCtx({ PATH: process.env.PATH ?? "", MOGPLEX_URL: fx.url, ...env });
  ctx.store.update((d) => {
    d.mogplex = {
      type: "mogplex",
      url: fx.url,
      token: fx.token,
      prefix: fx.token.slice(0, 12),
      expiresAt: null,
      method: "token",
      savedAt: new Date().toISOString(),
    };
  });
  const cwd = join(ctx.env.HOME as string, "work");
  mkdirSync(cwd);
  return { ctx, cwd };
}

/** One full-auto turn in a fresh session (after `before`, if given); the events it reported. */
async function fullAutoTurn(
  ctx: Parameters<typeof createAgentSession>[0],
  cwd: string,
  prompt: string,
  before?: (s: AgentSession) => Promise<void>,
): Promise<AgentEvent[]> {
  const s = await createAgentSession(ctx, { mode: "full-auto", sandbox: true, network: false, cwd });
  const events: AgentEvent[] = [];
  try {
    await before?.(s);
    await s.turn(prompt, {
      signal: new AbortController().signal,
      approve: async () => true,
      onEvent: (e) => events.push(e),
    });
  } finally {
    await s.close();
  }
  return events;
}

describe("synced MCP servers", { timeout: 120_000 }, () => {
  it("lists the team's servers with their tools, and a broken one with its error", async () => {
    const { ctx, cwd } = loggedIn();
    const s = await createAgentSession(ctx, { mode: "ask", sandbox: true, network: false, cwd });
    try {
      expect(s.route.via).toBe("account");
      expect(s.route.model).toBe("openai-compatible/scripted-coder");
      expect(s.route.credential).toContain(`Mogplex account login for ${fx.url}`);
      expect((await s.models()).map((m) => m.id)).toContain("openai-compatible/scripted-coder");
      const servers = await s.mcp();
      const byName = new Map(servers.map((x) => [x.server, x]));
      expect(byName.get("everything")?.transport).toBe("stdio");
      expect(byName.get("everything")?.tools.map((t) => t.name)).toContain("everything__echo");
      expect(byName.get("remote")?.transport).toBe("http");
      expect(byName.get("remote")?.tools.map((t) => t.name)).toContain("remote__echo");
      // The stdio server runs in a sandbox: its own mount namespace, and never as host root.
      const pids = readdirSync("/proc").filter((p) => {
        try {
          const argv = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
          return argv[0] === process.execPath && argv[1] === EVERYTHING_BIN && argv[2] === "stdio";
        } catch {
          return false;
        }
      });
      expect(pids.length).toBeGreaterThan(0);
      for (const pid of pids) {
        expect(readlinkSync(`/proc/${pid}/ns/mnt`)).not.toBe(readlinkSync("/proc/self/ns/mnt"));
        const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
        expect(uid).toBe(process.getuid?.() === 0 ? 63_999 : process.getuid?.());
      }
      expect(byName.get("broken")?.tools).toEqual([]);
      expect(byName.get("broken")?.error).toMatch(
        /MCP server broken \(stdio\) failed to start: .*boom: missing config/,
      );
    } finally {
      await s.close();
    }
  });

  it("offers <server>__<tool> to the model and asks before calling it in ask mode", async () => {
    const { ctx, cwd } = loggedIn();
    model.on("MCP-CALL", [
      { toolCalls: [{ name: "everything__echo", args: { message: "first-echo" } }] },
      { toolCalls: [{ name: "remote__echo", args: { message: "second-echo" } }] },
      { text: "echoed" },
    ]);
    const from = model.requests.length;
    const s = await createAgentSession(ctx, { mode: "ask", sandbox: true, network: false, cwd });
    const asked: ApprovalRequest[] = [];
    const events: AgentEvent[] = [];
    try {
      const r = await s.turn("MCP-CALL", {
        signal: new AbortController().signal,
        approve: async (q) => {
          asked.push(q);
          return q.kind === "command" && q.mcp?.server === "everything";
        },
        onEvent: (e) => events.push(e),
      });
      expect(r.text).toBe("echoed");
    } finally {
      await s.close();
    }
    expect(model.requests[from]?.tools).toEqual(
      expect.arrayContaining(["everything__echo", "remote__echo", "read_file"]),
    );
    expect(asked.map((q) => q.kind === "command" && q.mcp)).toEqual([
      { server: "everything", tool: "echo" },
      { server: "remote", tool: "echo" },
    ]);
    const finished = events.filter((e) => e.type === "tool_finished");
    expect(finished[0]).toMatchObject({ name: "everything__echo", ok: true });
    expect(finished[0]?.type === "tool_finished" && finished[0].output).toContain("first-echo");
    expect(finished[1]).toMatchObject({ name: "remote__echo", ok: false });
  });

  it("after logout nothing synced is left on disk and no session starts", async () => {
    const { ctx, cwd } = loggedIn();
    const s = await createAgentSession(ctx, { mode: "ask", sandbox: true, network: false, cwd });
    await s.mcp();
    await s.close();
    ctx.store.update((d) => {
      delete d.mogplex;
    });
    ctx.log.close();
    const files = readdirSync(ctx.home, { recursive: true }).map(String).sort();
    const log = readFileSync(ctx.log.path, "utf8");
    expect(log).toContain('"agent.mcp_sync"');
    expect(log).not.toContain(fx.token);
    expect(log).not.toContain("synced-header-value");
    expect(files.filter((f) => !f.startsWith("logs"))).toEqual(["auth.json"]);
    await expect(
      createAgentSession(ctx, { mode: "ask", sandbox: true, network: false, cwd }),
    ).rejects.toThrow(/no credentials found/);
  });

  it("with only the PAT, an HTTP server is reached through the gateway: the server's request log has the call", async () => {
    const { ctx, cwd } = loggedIn();
    model.on("PAT-GATEWAY-CALL", [
      { toolCalls: [{ name: "remote__echo", args: { message: "via-pat" } }] },
      { text: "done" },
    ]);
    const events = await fullAutoTurn(ctx, cwd, "PAT-GATEWAY-CALL");
    const finished = events.find((e) => e.type === "tool_finished");
    expect(finished).toMatchObject({ name: "remote__echo", ok: true });
    expect(finished?.type === "tool_finished" && finished.output).toContain("via-pat");
    // The gateway writes its log in batches (each second): poll the server's database for the row.
    const db = new Database(join(fx.dataDir, "mogplex.db"), { readonly: true });
    try {
      const query = db.prepare(
        `select count(*) from gateway_requests where method = 'tools/call' and server = 'remote'
           and tool = 'echo' and status = 'ok'
           and key_id in (select id from personal_access_tokens where prefix = ?)`,
      );
      const deadline = Date.now() + 30_000;
      let rows = 0;
      while (rows === 0 && Date.now() < deadline) {
        rows = Number(query.pluck().get(fx.token.slice(0, 12)));
        if (rows === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(rows).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });

  it("with MOGPLEX_GATEWAY_KEY, HTTP servers are reached through the gateway under that key's allowlist", async () => {
    const created = await fetch(`${fx.url}/api/settings/gateway-keys`, {
      method: "POST",
      headers: {
        cookie: await signIn(fx.url, fx.email),
        origin: fx.url,
        "content-type": "application/json",
        "x-mogplex-team": teamId ?? "",
      },
      body: JSON.stringify({ name: "agent", servers: ["remote"], tools: ["remote__echo"] }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const { ctx, cwd } = loggedIn({ MOGPLEX_GATEWAY_KEY: key });
    model.on("GATEWAY-CALL", [
      { toolCalls: [{ name: "remote__echo", args: { message: "via-gateway" } }] },
      { text: "done" },
    ]);
    const events = await fullAutoTurn(ctx, cwd, "GATEWAY-CALL", async (s) => {
      const remoteServer = (await s.mcp()).find((x) => x.server === "remote");
      // The key allows one tool: only the gateway applies that, so the list proves the route.
      expect(remoteServer?.tools.map((t) => t.name)).toEqual(["remote__echo"]);
    });
    const finished = events.find((e) => e.type === "tool_finished");
    expect(finished).toMatchObject({ name: "remote__echo", ok: true });
    expect(finished?.type === "tool_finished" && finished.output).toContain("via-gateway");
  });
});
