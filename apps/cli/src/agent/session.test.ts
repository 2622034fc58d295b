// createAgentSession over a scripted OpenAI-compatible model (direct key + OPENAI_BASE_URL) and real bubblewrap:
// approvals per mode with diffs, refusals reaching the model, confinement of reads (symlinks, MOGPLEX_HOME),
// cancel killing a running command, history across turns, and what the session log records.
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ScriptedModel,
  startScriptedModel,
} from "../../../server/src/engine/test-support/scripted-model.js";
import { testCtx } from "../test-support/ctx.js";
import { createAgentSession } from "./session.js";
import type { AgentEvent, AgentSession, ApprovalMode, ApprovalRequest } from "./types.js";

let model: ScriptedModel;
const KEY = "sk-unit-test-key-abcdefghij";
beforeAll(async () => {
  model = await startScriptedModel();
});
const sessions: AgentSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((x) => x.close()));
  await model.close();
});

function setup(mode: ApprovalMode, env: Record<string, string> = {}) {
  const ctx = testCtx({
    PATH: process.env.PATH ?? "",
    OPENAI_API_KEY: KEY,
    OPENAI_BASE_URL: model.baseURL,
    ...env,
  });
  const cwd = join(ctx.env.HOME as string, "work");
  mkdirSync(cwd);
  writeFileSync(join(cwd, "a.txt"), "one\ntwo\nthree\n");
  return { ctx, cwd, mode };
}

async function turn(
  s: { ctx: ReturnType<typeof testCtx>; cwd: string; mode: ApprovalMode },
  prompt: string,
  answer: (r: ApprovalRequest) => boolean,
  signal = new AbortController().signal,
) {
  const session = await createAgentSession(s.ctx, {
    model: "openai/scripted",
    mode: s.mode,
    sandbox: true,
    network: false,
    cwd: s.cwd,
  });
  sessions.push(session);
  const asked: ApprovalRequest[] = [];
  const events: AgentEvent[] = [];
  const r = await session.turn(prompt, {
    signal,
    approve: async (q) => {
      asked.push(q);
      return answer(q);
    },
    onEvent: (e) => events.push(e),
  });
  return { session, asked, events, r };
}

const toolReplies = (from: number) =>
  model.requests
    .slice(from)
    .flatMap((q) => q.messages.filter((m) => m.role === "tool").map((m) => JSON.stringify(m.content)));

describe("agent session", () => {
  it("ask: an edit asks with its diff; a command asks and, refused, never runs and the model is told", async () => {
    model.on("ASK-MODE", [
      { toolCalls: [{ name: "edit_file", args: { path: "a.txt", old: "two", new: "2" } }] },
      { toolCalls: [{ name: "run_command", args: { command: "touch ran.txt" } }] },
      { text: "done" },
    ]);
    const s = setup("ask");
    const from = model.requests.length;
    const { asked, events, r, session } = await turn(s, "ASK-MODE", (q) => q.kind === "write");
    expect(session.route).toMatchObject({ via: "provider", model: "openai/scripted" });
    expect(session.route.credential).toContain("OPENAI_API_KEY");
    expect(r).toEqual({ text: "done", reason: "done" });
    expect(asked[0]).toMatchObject({ kind: "write", path: "a.txt", outsideWorkingTree: false });
    expect(asked[0]?.kind === "write" && asked[0].diff).toContain("-two\n+2");
    expect(asked[1]).toMatchObject({
      kind: "command",
      command: "touch ran.txt",
      sandboxed: true,
      network: false,
    });
    expect(readFileSync(join(s.cwd, "a.txt"), "utf8")).toBe("one\n2\nthree\n");
    expect(() => readFileSync(join(s.cwd, "ran.txt"))).toThrow();
    expect(toolReplies(from).join()).toContain("not approved by the user");
    const edit = events.find((e) => e.type === "tool_finished" && e.name === "edit_file");
    expect(edit).toMatchObject({ ok: true, summary: "wrote a.txt" });
    expect(events.at(-1)).toMatchObject({ type: "turn_finished", reason: "done" });
  });

  it("an edit of a file too large to read whole is refused and leaves the file as it was", async () => {
    const s = setup("full-auto");
    const big = `needle\n${"x".repeat(2_100_000)}\n`;
    writeFileSync(join(s.cwd, "big.txt"), big);
    model.on("BIG-EDIT", [
      { toolCalls: [{ name: "edit_file", args: { path: "big.txt", old: "needle", new: "pin" } }] },
      { text: "done" },
    ]);
    const { events } = await turn(s, "BIG-EDIT", () => true);
    const edit = events.find((e) => e.type === "tool_finished" && e.name === "edit_file");
    expect(edit).toMatchObject({ ok: false });
    expect(edit?.type === "tool_finished" && edit.output).toContain("too large to edit");
    expect(readFileSync(join(s.cwd, "big.txt"), "utf8")).toBe(big);
  });

  it("auto-edit: writes inside need no approval, a write outside or into .git asks; full-auto asks nothing", async () => {
    const s = setup("auto-edit");
    const outside = join(s.ctx.env.HOME as string, "outside.txt");
    model.on("AUTO-EDIT", [
      { toolCalls: [{ name: "write_file", args: { path: "new.txt", content: "x\n" } }] },
      { toolCalls: [{ name: "write_file", args: { path: outside, content: "y\n" } }] },
      { toolCalls: [{ name: "write_file", args: { path: ".git/hooks/pre-commit", content: "evil\n" } }] },
      // A dangling link the repo brought along: the write would create its target, outside the folder.
      { toolCalls: [{ name: "write_file", args: { path: "notes.md", content: "planted\n" } }] },
      { text: "ok" },
    ]);
    const planted = join(s.ctx.env.HOME as string, "planted.txt");
    symlinkSync(planted, join(s.cwd, "notes.md"));
    const a = await turn(s, "AUTO-EDIT", () => false);
    expect(a.asked).toEqual([
      expect.objectContaining({ kind: "write", path: outside, outsideWorkingTree: true }),
      expect.objectContaining({ kind: "write", path: ".git/hooks/pre-commit", outsideWorkingTree: false }),
      expect.objectContaining({ kind: "write", path: planted, outsideWorkingTree: true }),
    ]);
    expect(() => readFileSync(planted)).toThrow();
    expect(() => readFileSync(join(s.cwd, ".git/hooks/pre-commit"))).toThrow();
    expect(readFileSync(join(s.cwd, "new.txt"), "utf8")).toBe("x\n");
    expect(() => readFileSync(outside)).toThrow();
    const f = await turn({ ...s, mode: "full-auto" }, "AUTO-EDIT", () => false);
    expect(f.asked).toEqual([]);
    expect(readFileSync(outside, "utf8")).toBe("y\n");
  });

  it("reads stay inside the folder: outside paths, symlinks out and MOGPLEX_HOME are refused", async () => {
    const s = setup("full-auto");
    const home = s.ctx.env.HOME as string;
    writeFileSync(join(home, "private.txt"), "PRIVATE-CONTENT");
    symlinkSync(join(home, "private.txt"), join(s.cwd, "link.txt"));
    model.on("CONFINED", [
      {
        toolCalls: [
          { name: "read_file", args: { path: "../private.txt" } },
          { name: "read_file", args: { path: "link.txt" } },
          { name: "search", args: { pattern: "PRIVATE", path: ".." } },
        ],
      },
      { text: "ok" },
    ]);
    const from = model.requests.length;
    const r = await turn(s, "CONFINED", () => true);
    const replies = toolReplies(from).join();
    expect(replies).not.toContain("PRIVATE-CONTENT");
    expect(replies).toContain("outside the working folder");
    expect(r.events.filter((e) => e.type === "tool_finished" && !e.ok)).toHaveLength(3);
    // MOGPLEX_HOME inside the working folder: tools never touch it.
    const ctx = testCtx({
      PATH: process.env.PATH ?? "",
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: model.baseURL,
    });
    const cwd = ctx.env.HOME as string;
    mkdirSync(join(cwd, ".mogplex"), { recursive: true });
    writeFileSync(
      join(cwd, ".mogplex", "auth.json"),
      '{"openai":{"type":"api_key","key":"sk-stored-secret-123"}}',
    );
    model.on("OWN-FOLDER", [
      { toolCalls: [{ name: "read_file", args: { path: ".mogplex/auth.json" } }] },
      { text: "ok" },
    ]);
    const from2 = model.requests.length;
    await turn({ ctx, cwd, mode: "full-auto" }, "OWN-FOLDER", () => true);
    expect(toolReplies(from2).join()).toContain("Mogplex's own folder");
    expect(toolReplies(from2).join()).not.toContain("sk-stored-secret");
  });

  it("a cancel ends the turn and kills the running command", async () => {
    const s = setup("full-auto");
    model.on("CANCEL-ME", [
      { toolCalls: [{ name: "run_command", args: { command: "sleep 3017; touch late.txt" } }] },
    ]);
    const ac = new AbortController();
    const pending = turn(s, "CANCEL-ME", () => true, ac.signal);
    const deadline = Date.now() + 20_000;
    while (
      !model.requests.some((q) => JSON.stringify(q.messages).includes("CANCEL-ME")) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    ac.abort();
    const { r } = await pending;
    expect(r.reason).toBe("cancelled");
    expect(() => readFileSync(join(s.cwd, "late.txt"))).toThrow();
    const sleeping = readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, "utf8") === "sleep\u00003017\u0000";
        } catch {
          return false;
        }
      });
    expect(sleeping).toEqual([]);
  });

  it("keeps history between turns until clear(); the log records turns, content only with MOGPLEX_DEBUG=1", async () => {
    for (const debug of [false, true]) {
      const s = setup("auto-edit", debug ? { MOGPLEX_DEBUG: "1" } : {});
      model.on("HISTORY-ONE", [{ text: "first" }]);
      const { session } = await turn(s, "HISTORY-ONE secret-prompt-words", () => true);
      const from = model.requests.length;
      await session.turn("second", {
        signal: new AbortController().signal,
        approve: async () => true,
        onEvent: () => {},
      });
      expect(model.requests[from]?.messages.map((m) => m.role)).toEqual([
        "system",
        "user",
        "assistant",
        "user",
      ]);
      session.clear();
      model.on("AFTER-CLEAR", [{ text: "fresh" }]);
      await session.turn("AFTER-CLEAR", {
        signal: new AbortController().signal,
        approve: async () => true,
        onEvent: () => {},
      });
      expect(model.requests.at(-1)?.messages.map((m) => m.role)).toEqual(["system", "user"]);
      s.ctx.log.close();
      const logDir = join(s.ctx.home, "logs");
      const text = readdirSync(logDir)
        .map((f) => readFileSync(join(logDir, f), "utf8"))
        .join("");
      const turns = text.split("\n").filter((l) => l.includes('"agent.turn"'));
      expect(turns).toHaveLength(3);
      expect(JSON.parse(turns[0] as string)).toMatchObject({
        model: "openai/scripted",
        inputTokens: 100,
        outputTokens: 20,
      });
      expect(text.includes("secret-prompt-words")).toBe(debug);
      expect(text.includes('"agent.answer"')).toBe(debug);
      expect(text).not.toContain(KEY);
    }
  });
});
