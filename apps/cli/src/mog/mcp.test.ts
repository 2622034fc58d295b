// An mcp package adds its server to the agent's MCP config: merged beside the entries already there, with
// --env filling declared names only; uninstall takes exactly that entry out again.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Box, box, listTree, mog, yazlZip } from "./test-support/mog.js";

let b: Box;
afterEach(() => b?.cleanup());

const MCP_FILES = [
  {
    name: "tickets/mog.yaml",
    data: [
      "name: acme/tickets",
      "version: 0.3.0",
      "type: mcp",
      "description: Ticket tracker tools",
      "targets: [claude-code, cursor, codex]",
      "mcp:",
      "  command: node",
      "  args: [./server.js, --stdio]",
      "  env: [TICKETS_TOKEN, TICKETS_URL]",
      "",
    ].join("\n"),
  },
  { name: "tickets/README.md", data: "# Tickets\n" },
  { name: "tickets/server.js", data: "console.log('hi')\n" },
];

async function zip(): Promise<string> {
  const path = join(b.root, "tickets.zip");
  writeFileSync(path, await yazlZip(MCP_FILES));
  return path;
}

describe("mog install of an mcp package", () => {
  it("merges its server into .mcp.json, keeps the other entries, and uninstall removes only its own", async () => {
    b = box([".claude"]);
    const config = join(b.project, ".mcp.json");
    const other = { mcpServers: { mine: { command: "mine" } }, extra: true };
    writeFileSync(config, JSON.stringify(other));
    const r = await mog(
      b.env,
      "install",
      await zip(),
      "--dir",
      b.project,
      "--env",
      "TICKETS_TOKEN=s3cret",
      "--json",
    );
    expect(r.code, JSON.stringify(r)).toBe(0);
    expect(r.envelope.data.mcp).toEqual({ config: ".mcp.json", key: "tickets" });
    expect(JSON.stringify(r.envelope)).not.toContain("s3cret");
    const installed = join(b.project, ".claude/mcp/tickets");
    expect(JSON.parse(readFileSync(config, "utf8"))).toEqual({
      extra: true,
      mcpServers: {
        mine: { command: "mine" },
        tickets: {
          command: "node",
          args: [join(installed, "server.js"), "--stdio"],
          env: { TICKETS_TOKEN: "s3cret" },
        },
      },
    });
    const lock = readFileSync(join(b.project, "mog.lock.json"), "utf8");
    expect(lock).not.toContain("s3cret");
    expect(JSON.parse(lock).packages["acme/tickets"].mcp).toEqual({ config: ".mcp.json", key: "tickets" });

    expect((await mog(b.env, "uninstall", "acme/tickets", "--dir", b.project)).code).toBe(0);
    expect(JSON.parse(readFileSync(config, "utf8"))).toEqual({
      extra: true,
      mcpServers: { mine: { command: "mine" } },
    });
  });

  it("--env with an undeclared name is refused before anything is written", async () => {
    b = box([".cursor"]);
    const path = await zip();
    const before = listTree(b.root);
    const r = await mog(b.env, "install", path, "--dir", b.project, "--env", "PATH=/evil", "--json");
    expect(r.code).toBe(1);
    expect(r.envelope.error?.message).toContain("does not declare it");
    expect(listTree(b.root)).toEqual(before);
  });

  it("a broken MCP config is not clobbered: the install is undone", async () => {
    b = box([".cursor"]);
    writeFileSync(join(b.project, ".cursor/mcp.json"), "{not json");
    const path = await zip();
    const before = listTree(b.root);
    const r = await mog(b.env, "install", path, "--dir", b.project, "--json");
    expect(r.envelope.error?.code).toBe("MCP_CONFIG");
    expect(listTree(b.root)).toEqual(before);
    expect(readFileSync(join(b.project, ".cursor/mcp.json"), "utf8")).toBe("{not json");
  });

  it("codex (TOML config): installs the files and prints the server entry to add by hand", async () => {
    b = box([".codex"]);
    const r = await mog(b.env, "install", await zip(), "--dir", b.project);
    expect(r.code).toBe(0);
    expect(r.stdout.join("\n")).toContain("add this server");
    expect(listTree(b.project)).toContain("f .codex/mcp/tickets/server.js");
  });
});
