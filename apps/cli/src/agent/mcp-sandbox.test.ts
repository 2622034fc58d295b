// A synced stdio MCP server's sandbox, with real bubblewrap: the config's mounts are visible read-only wherever
// they are on the host — also under /tmp, which the sandbox replaces with a private one (a checkout or a tool
// unpacked there must still be reachable) — and the working folder and the user's home are not.
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { McpServerConfig } from "@mogplex/contract";
import { afterAll, describe, expect, it } from "vitest";
import { sandboxedLaunch } from "./mcp-sandbox.js";

const root = mkdtempSync(join(tmpdir(), "mogplex-mcp-sbx-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (command: string, args: string[], mounts: string[]): McpServerConfig => ({
  id: "c1",
  name: "local",
  scope: "team",
  repoId: null,
  transport: "stdio",
  url: null,
  command,
  args,
  headers: {},
  env: {},
  egressHosts: [],
  mounts,
  timeoutMs: null,
});

function run(c: McpServerConfig): Promise<{ code: number | null; out: string }> {
  return sandboxedLaunch(c, { PATH: process.env.PATH, HOME: root }).then(
    (l) =>
      new Promise((resolve) => {
        execFile(l.command, l.args, { env: l.env, timeout: 20_000 }, (err, stdout, stderr) => {
          l.cleanup();
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
        });
      }),
  );
}

describe("stdio MCP server sandbox", () => {
  it("sees a mounted folder under /tmp read-only, and nothing else of the host's /tmp", async () => {
    const tool = join(root, "tool");
    const other = join(root, "other");
    mkdirSync(tool, { recursive: true });
    mkdirSync(other, { recursive: true });
    chmodSync(root, 0o755);
    writeFileSync(join(tool, "server.txt"), "the server's own file\n", { mode: 0o644 });
    writeFileSync(join(other, "private.txt"), "not for the server\n", { mode: 0o644 });
    const read = await run(config("/bin/cat", [join(tool, "server.txt")], [tool]));
    expect(read).toEqual({ code: 0, out: "the server's own file\n" });
    const write = await run(config("/bin/sh", ["-c", `echo x > ${join(tool, "new.txt")}`], [tool]));
    expect(write.code).not.toBe(0);
    const unmounted = await run(config("/bin/cat", [join(other, "private.txt")], [tool]));
    expect(unmounted.code).not.toBe(0);
    expect(unmounted.out).not.toContain("not for the server");
  });
});
