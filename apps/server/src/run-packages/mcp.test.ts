// An mcp registry package as a team's stdio MCP server (both databases): `admin add-mcp-server --package` verifies
// the release, unpacks it read-only into the data dir's package store and registers its manifest command; the
// gateway serves its tools from a bubblewrap sandbox where the package folder can't be written (the server tries);
// wrong types, packages the team can't read, altered copies and API attempts to mount the store are refused.
import { chmodSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ConnectionSummary } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminError } from "../admin/commands.js";
import { addMcpServer } from "../admin/gateway.js";
import { harnessEnv } from "../engine/test-support/engine.js";
import { listen, mcpClient, textOf } from "../gateway/test-support/everything.js";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";
import { packFiles, publish, skill, vendor } from "./test-support/publish.js";

// A dependency-free stdio MCP server: greet, and probe, which tries to change its own package folder.
const SERVER = `
const fs = require('fs'), path = require('path'), readline = require('readline');
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
function probe() {
  const out = [];
  const attempt = (name, f) => { try { f(); out.push(name + ':ok'); } catch (e) { out.push(name + ':' + e.code); } };
  attempt('append', () => fs.appendFileSync(__filename, '// changed'));
  attempt('create', () => fs.writeFileSync(path.join(__dirname, 'planted.js'), 'x'));
  attempt('chmod', () => fs.chmodSync(__filename, 0o666));
  attempt('unlink', () => fs.unlinkSync(path.join(__dirname, 'README.md')));
  attempt('rename', () => fs.renameSync(__filename, path.join(__dirname, 'moved.js')));
  return out.join(' ');
}
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.id === undefined) return;
  if (m.method === 'initialize')
    return send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion,
      capabilities: { tools: {} }, serverInfo: { name: 'echo', version: '1.0.0' } } });
  if (m.method === 'tools/list')
    return send({ jsonrpc: '2.0', id: m.id, result: { tools: [
      { name: 'greet', description: 'Says hello', inputSchema: { type: 'object', properties: { who: { type: 'string' } } } },
      { name: 'probe', description: 'Tries to write its own files', inputSchema: { type: 'object' } }] } });
  if (m.method === 'tools/call') {
    const text = m.params.name === 'probe' ? probe() : 'hello ' + m.params.arguments.who + ' from ' + __dirname;
    return send({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text }] } });
  }
  send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'no such method' } });
});
`;

const mcpPackage = (name: string) =>
  packFiles(
    [
      `name: ${name}`,
      "version: 1.0.0",
      "type: mcp",
      "description: Greets",
      "targets: [claude-code]",
      "mcp:",
      "  command: node",
      '  args: ["./server.js"]',
    ],
    { "server.js": SERVER },
  );

let h: Harness;
let srv: { base: string; close(): Promise<void> };
let owner: TestUser;
let adminEnv: Record<string, string>;

beforeAll(async () => {
  h = await createHarness();
  srv = await listen(h);
  owner = await h.user();
  const acme = await vendor(h, "acme");
  await publish(h, acme, await mcpPackage("acme/echo"));
  await publish(h, acme, await mcpPackage("acme/altered"));
  await publish(h, acme, await skill("acme/guide", "1.0.0", "Not a server.\n"));
  await publish(h, await vendor(h, "hidden"), await mcpPackage("hidden/echo"), { query: "?visibility=team" });
  adminEnv = { ...(await harnessEnv(h)), MOGPLEX_LOG_LEVEL: "silent" };
}, 120_000);
afterAll(async () => {
  await srv?.close();
  // The store's folders are 0555: a server that is not root (this suite run as one) can't remove them otherwise.
  if (h) chmodTree(join(h.dataDir, "mcp-packages"));
  await h?.close();
});

function chmodTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) chmodTree(join(dir, e.name));
}

const add = (name: string, pkg: string, extra: Record<string, unknown> = {}) =>
  addMcpServer(adminEnv, {}, { team: owner.team, name, package: pkg, ...extra });

function modes(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((p) => `${p}:${(statSync(join(dir, p)).mode & 0o777).toString(8)}`)
    .sort();
}

describe("admin add-mcp-server --package", () => {
  it("unpacks the verified package read-only and the gateway serves it from a sandbox that can't change it", async () => {
    const id = await add("echo", "acme/echo@1.0.0");
    const cookie = await h.signIn(owner);
    const listed = (
      await h.json<{ connections: ConnectionSummary[] }>("GET", `/api/teams/${owner.teamId}/connections`, {
        cookie,
      })
    ).body.connections.find((c) => c.id === id);
    const dir = listed?.mounts[0] as string;
    expect(dir.startsWith(join(h.dataDir, "mcp-packages", "acme", "echo", "1.0.0-"))).toBe(true);
    expect(listed).toMatchObject({ command: "node", args: [join(dir, "server.js")], mounts: [dir] });
    expect((statSync(dir).mode & 0o777).toString(8)).toBe("555");
    expect(modes(dir)).toEqual(["README.md:444", "mog.yaml:444", "server.js:444"]);

    const key = (
      await h.s.gateway.keys.create(
        owner.userId,
        owner.teamId,
        { name: "k", servers: ["echo"], rateLimitRps: 100_000 },
        { actorType: "system", actorId: null },
      )
    ).key;
    const c = await mcpClient(srv.base, key);
    expect((await c.listTools()).tools.map((t) => t.name).sort()).toEqual(["echo__greet", "echo__probe"]);
    expect(textOf(await c.callTool({ name: "echo__greet", arguments: { who: "run" } }))).toBe(
      `hello run from ${dir}`,
    );
    const probe = textOf(await c.callTool({ name: "echo__probe", arguments: {} }));
    expect(probe.split(" ")).toHaveLength(5);
    expect(probe).not.toContain(":ok");
    expect(probe).toMatch(/^append:(EROFS|EACCES) create:(EROFS|EACCES) chmod:(EROFS|EPERM) /);
    await c.close();
    expect(modes(dir)).toEqual(["README.md:444", "mog.yaml:444", "server.js:444"]);

    // A second server from the same release reuses the unpacked copy.
    await add("echo-two", "acme/echo@1.0.0");
    expect(readdirSync(join(h.dataDir, "mcp-packages", "acme", "echo"))).toHaveLength(1);
  }, 90_000);

  it("refuses what is not an mcp package the team may read, an altered copy, and flags that make no sense", async () => {
    const refused = async (p: Promise<unknown>) => {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AdminError);
      return (err as Error).message;
    };
    const missing = "no published release of that package and version on this server that you can read";
    expect(await refused(add("a", "acme/nope@1.0.0"))).toContain(`acme/nope@1.0.0: ${missing}`);
    expect(await refused(add("a", "hidden/echo@1.0.0"))).toContain(`hidden/echo@1.0.0: ${missing}`);
    expect(await refused(add("a", "acme/guide@1.0.0"))).toBe(
      "--package acme/guide@1.0.0 is a skill package; only mcp packages run as MCP servers",
    );
    expect(await refused(add("a", "acme/echo"))).toContain("name a package as vendor/slug@version");
    expect(await refused(add("a", "acme/echo@1.0.0", { command: "/usr/bin/node" }))).toContain(
      "--package takes the command",
    );

    await add("altered", "acme/altered@1.0.0");
    const store = join(h.dataDir, "mcp-packages", "acme", "altered");
    const dir = join(store, readdirSync(store)[0] as string);
    chmodSync(join(dir, "server.js"), 0o644);
    writeFileSync(join(dir, "server.js"), "process.exit(0)\n");
    expect(await refused(add("altered-two", "acme/altered@1.0.0"))).toContain(
      "differs from the signed release; remove it and run the command again",
    );
  }, 60_000);

  it("the store is never a mount a team admin can set through the API", async () => {
    const cookie = await h.signIn(owner);
    const dir = join(h.dataDir, "mcp-packages", "acme", "echo");
    const store = readdirSync(dir).map((v) => join(dir, v))[0] as string;
    const r = await h.json<{ error?: { message: string } }>(
      "POST",
      `/api/teams/${owner.teamId}/connections`,
      {
        cookie,
        body: {
          kind: "mcp_server",
          name: "sneaky",
          command: "node",
          args: [join(store, "server.js")],
          mounts: [store],
        },
      },
    );
    expect(r.status).toBe(400);
    expect(r.body.error?.message).toContain("it would expose the server's data directory to MCP servers");
  });
});
