// The scrubbed-env launcher: exact environment, private working dir, and a stop that always ends the whole group.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { childPids, SENTINEL, SENTINEL_VALUE } from "../test-support/everything.js";
import { type LaunchedStdio, ScrubbedEnvLauncher } from "./launcher.js";

/** Live (non-zombie) members of a process group, from /proc: a killed orphan may linger as a zombie until reaped. */
function liveInGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[2]) === pgid && f[0] !== "Z") out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A node one-liner as a "server": prints its env and cwd on stdin's first line, as a JSON-RPC notification. */
const REPORT = `process.stdin.once('data',()=>{process.stdout.write(JSON.stringify({jsonrpc:'2.0',method:'report',params:{env:process.env,cwd:process.cwd()}})+'\\n')});setInterval(()=>{},1000)`;

describe("ScrubbedEnvLauncher", () => {
  const launched: LaunchedStdio[] = [];
  afterEach(async () => {
    await Promise.all(launched.splice(0).map((l) => l.stop()));
  });

  it("gives the process only its configured env plus PATH and HOME, in a private directory that goes away", async () => {
    process.env[SENTINEL] = SENTINEL_VALUE;
    try {
      const l = await new ScrubbedEnvLauncher().launch({
        serverId: "s",
        command: process.execPath,
        args: ["-e", REPORT],
        env: { CONFIGURED: "yes" },
      });
      launched.push(l);
      const report = await new Promise<{ env: Record<string, string>; cwd: string }>((resolve) => {
        l.transport.onmessage = (m) =>
          resolve((m as unknown as { params: { env: Record<string, string>; cwd: string } }).params);
        void l.transport.send({ jsonrpc: "2.0", method: "go" });
      });
      expect(Object.keys(report.env).sort()).toEqual(["CONFIGURED", "HOME", "PATH"]);
      expect(report.env.HOME).toBe(report.cwd);
      expect(JSON.stringify(report)).not.toContain(SENTINEL_VALUE);
      expect(existsSync(report.cwd)).toBe(true);
      await l.stop();
      expect(existsSync(report.cwd)).toBe(false);
    } finally {
      delete process.env[SENTINEL];
    }
  });

  it("escalates to SIGKILL for a server that ignores SIGTERM, and takes its children with it", async () => {
    // The leader ignores SIGTERM and has a child of its own that does too.
    const stubborn = `process.on('SIGTERM',()=>{});require('child_process').spawn(process.execPath,['-e',"process.on('SIGTERM',()=>{});setInterval(()=>{},1000)"],{stdio:'ignore'});setInterval(()=>{},1000)`;
    const l = await new ScrubbedEnvLauncher().launch({
      serverId: "s",
      command: process.execPath,
      args: ["-e", stubborn],
      env: {},
    });
    const pid = l.pid as number;
    expect(childPids()).toContain(pid);
    await vi.waitFor(() => expect(liveInGroup(pid).length).toBe(2)); // the leader and its child
    await l.stop();
    expect(liveInGroup(pid)).toEqual([]);
    expect(childPids()).not.toContain(pid);
  });

  it("reports a command that does not exist as a start failure", async () => {
    await expect(
      new ScrubbedEnvLauncher().launch({
        serverId: "s",
        command: "/nonexistent/mcp-server",
        args: [],
        env: {},
      }),
    ).rejects.toThrow(/could not start stdio server: ENOENT/);
  });
});
