// Acceptance: a stdio MCP server installed outside /usr, registered with the real admin action, served through
// the real gateway (bubblewrap) to the SDK's own client — refused without --mount, working with it; a server
// that dies at start says why (warn log with its redacted stderr, the connections list's status, a clear
// tools/list error), and the status clears once it starts.
import { randomBytes } from "node:crypto";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { ConnectionSummary } from "@mogplex/contract";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminError } from "../../admin/commands.js";
import { addMcpServer } from "../../admin/gateway.js";
import { createLogger } from "../../logger.js";
import { createHarness, type Harness, type TestUser } from "../../test-support/harness.js";
import { listen, mcpClient, textOf } from "../test-support/everything.js";
import { installMiniServer } from "../test-support/mini-server.js";

const SYS = { actorType: "system", actorId: null } as const;
const PG_URL = () => process.env.MOGPLEX_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

describe("stdio MCP servers outside /usr: mounts, and failures that say why", () => {
  const plantedEnv = `planted-env-${randomBytes(8).toString("hex")}`;
  const plantedToken = `ghp_${randomBytes(18).toString("hex")}`;
  const logLines: Array<Record<string, unknown>> = [];
  let h: Harness;
  let srv: { base: string; close(): Promise<void> };
  let owner: TestUser;
  let cookie: string;
  let adminEnv: Record<string, string>;
  let dir: string;

  const connections = async () =>
    (
      await h.json<{ connections: ConnectionSummary[] }>("GET", `/api/teams/${owner.teamId}/connections`, {
        cookie,
      })
    ).body.connections;
  const keyFor = async (servers: string[] | "all") =>
    (
      await h.s.gateway.keys.create(
        owner.userId,
        owner.teamId,
        { name: `k-${servers}`, servers, rateLimitRps: 100_000 },
        SYS,
      )
    ).key;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean))
          logLines.push(JSON.parse(line));
        done();
      },
    });
    h = await createHarness({ logger: createLogger("info", sink) });
    srv = await listen(h);
    owner = await h.user();
    cookie = await h.signIn(owner);
    dir = installMiniServer(plantedToken);
    const secrets = h.s.config.secrets;
    // The operator command, on the same database and with the same server settings as the running server.
    adminEnv = {
      MOGPLEX_DATA_DIR: h.dataDir,
      MOGPLEX_LOG_LEVEL: "silent",
      MOGPLEX_ENCRYPTION_KEY: secrets.encryptionKey as string,
      MOGPLEX_SIGNING_SECRET: secrets.signingSecret as string,
      MOGPLEX_AUTH_SECRET: secrets.authSecret as string,
      MOGPLEX_REGISTRY_SIGNING_KEY: secrets.registrySigningKey as string,
      MOGPLEX_REGISTRY_URL_SECRET: secrets.registryUrlSecret as string,
      MOGPLEX_MCP_STDIO_MOUNTS: h.s.config.gateway.stdioMounts.join(","),
    };
    if (h.dialect === "postgres") {
      const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(h.s.db.db)).rows[0]?.s;
      adminEnv.DATABASE_URL = `${PG_URL()}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    }
  });
  afterAll(async () => {
    await srv?.close();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("add-mcp-server refuses a script its sandbox can't see, naming --mount; with --mount the gateway serves it", async () => {
    const script = join(dir, "server.js");
    const base = { team: owner.team, name: "mini", command: "/usr/bin/node", arg: [script] };
    const refused = await addMcpServer(adminEnv, {}, base).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AdminError);
    expect((refused as Error).message).toBe(
      `${script} is not visible inside the MCP server's sandbox; add --mount ${dir} (read-only)`,
    );
    expect(await connections()).toEqual([]);

    const id = await addMcpServer(adminEnv, {}, { ...base, mount: [`${dir}/`] });
    const listed = (await connections()).find((c) => c.id === id);
    expect(listed).toMatchObject({ mounts: [dir], status: "untested", lastError: null });

    const c = await mcpClient(srv.base, await keyFor(["mini"]));
    const { tools } = await c.listTools();
    expect(tools.map((t) => t.name)).toEqual(["mini__greet"]);
    expect(textOf(await c.callTool({ name: "mini__greet", arguments: { who: "sandbox" } }))).toBe(
      "hello sandbox",
    );
    await c.close();
    expect((await connections()).find((c) => c.id === id)?.status).toBe("ok");
  });

  it("a server dying at start: tools/list names it, the warn log has its redacted stderr, the list shows why; then it clears", async () => {
    const id = await addMcpServer(
      adminEnv,
      {},
      {
        team: owner.team,
        name: "broken",
        command: "/usr/bin/node",
        arg: [join(dir, "boot.js")],
        env: [`API_TOKEN=${plantedEnv}`],
        mount: [dir],
      },
    );
    const secretsGone = (text: string) => {
      expect(text).not.toContain(plantedEnv);
      expect(text).not.toContain(plantedToken);
    };

    // Only the broken server: a clear error naming it, not an empty list.
    const alone = await mcpClient(srv.base, await keyFor(["broken"]));
    const err = await alone.listTools().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    const message = (err as McpError).message;
    expect(message).toContain(
      "No MCP server could list its tools: broken (exited with code 3 before the MCP handshake)",
    );
    expect(message).toMatch(/Connections page.*server log \(request req_/);
    secretsGone(message);
    // A call to one of its tools says the same, not "unknown tool".
    const call = await alone
      .callTool({ name: "broken__greet", arguments: { who: "x" } })
      .catch((e: unknown) => e);
    expect((call as McpError).message).toMatch(
      /MCP server broken is not available \(exited with code 3 before the MCP handshake\); its last error is on the Connections page \(request req_/,
    );

    // Beside a working one: the working one's tools, the failure in _meta.
    const both = await mcpClient(srv.base, await keyFor(["mini", "broken"]));
    const partial = await both.listTools();
    expect(partial.tools.map((t) => t.name)).toEqual(["mini__greet"]);
    expect(partial._meta?.["mogplex/failed"]).toEqual([
      { server: "broken", reason: "exited with code 3 before the MCP handshake" },
    ]);

    // The warn line: the server's name and the tail of its stderr, secrets redacted.
    const warn = logLines.find(
      (l) => l.level === 40 && l.server === "broken" && typeof l.stderr === "string",
    );
    expect(warn?.msg).toMatch(/^MCP server broken failed to start: exited with code 3/);
    expect(warn?.exitCode).toBe(3);
    expect(warn?.stderr).toContain(`fatal: ${dir}/config.json is missing; create it and restart`);
    expect(warn?.stderr).toContain("key=[redacted]");
    expect(warn?.stderr).toContain("GitHub token [redacted] loaded");
    secretsGone(JSON.stringify(logLines));

    // The connections list (API and what the web page reads): failing, with when and why.
    const failing = (await connections()).find((c) => c.id === id);
    expect(failing?.status).toBe("failing");
    expect(failing?.lastError?.message).toContain("exited with code 3 before the MCP handshake");
    expect(failing?.lastError?.message).toContain("config.json is missing");
    expect(Date.parse(failing?.lastError?.at ?? "")).toBeGreaterThan(Date.now() - 60_000);
    secretsGone(JSON.stringify(failing));

    // Fixed on the host (no config change): the next list starts it, and the status clears.
    writeFileSync(join(dir, "config.json"), "{}", { mode: 0o644 });
    expect((await alone.listTools()).tools.map((t) => t.name)).toEqual(["broken__greet"]);
    const fixed = (await connections()).find((c) => c.id === id);
    expect(fixed).toMatchObject({ status: "ok", lastError: null });
    const again = await both.listTools();
    expect(again.tools.map((t) => t.name).sort()).toEqual(["broken__greet", "mini__greet"]);
    expect(again._meta?.["mogplex/failed"]).toBeUndefined();
    await alone.close();
    await both.close();
  });

  it("a mount its sandbox's user can no longer read: the start fails saying so, not silently", async () => {
    const other = installMiniServer(plantedToken, "mogplex-mini-closed-");
    try {
      const id = await addMcpServer(
        adminEnv,
        {},
        {
          team: owner.team,
          name: "closed",
          command: "/usr/bin/node",
          arg: [join(other, "server.js")],
          mount: [other],
        },
      );
      chmodSync(other, 0o700);
      const c = await mcpClient(srv.base, await keyFor(["closed"]));
      const err = await c.listTools().then(
        (r) => r,
        (e: unknown) => e,
      );
      const row = (await connections()).find((x) => x.id === id);
      if (process.getuid?.() === 0) {
        // A root server runs sandboxes as an unprivileged user: bubblewrap could not bind it.
        expect((err as McpError).message).toContain("closed (could not be started)");
        expect(row?.status).toBe("failing");
        expect(row?.lastError?.message).toMatch(
          new RegExp(
            `^could not be started: mount ${other} is not readable by the sandbox's user \\(uid \\d+\\): ` +
              `${other} is 0700, owned by uid 0; let that user read it`,
          ),
        );
      } else {
        expect((err as { tools: unknown[] }).tools).toHaveLength(1);
      }
      await c.close();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
