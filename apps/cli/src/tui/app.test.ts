// The session screen over a scripted session: streaming, tool calls with diffs, approvals, Ctrl-C, history
// and pasted multi-line prompts.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ApprovalRequest } from "../agent/types.js";
import { KEY, type Screen, screen } from "./test-support/screen.js";
import { gate, type TurnScript } from "./test-support/scripted-session.js";
import { diffLineStyle, shownOutput } from "./view.js";

const ran = (output: string) => ({
  kind: "tool" as const,
  id: "t",
  name: "run_command",
  detail: "make",
  state: "ok" as const,
  summary: "exit 0",
  output,
});

let s: Screen;
afterEach(() => s?.unmount());

const DIFF = "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,2 +1,2 @@\n keep\n-old line\n+new line\n";

describe("the session screen", () => {
  it("shows the model route and mode, and streams the answer as it arrives", async () => {
    s = screen();
    await s.see("openai/gpt-4.1-mini · approval: ask · sandbox: on · network: off");
    expect(s.frame()).toContain("via Mogplex account login for http://127.0.0.1:4100 (token mog_test…)");
    const more = gate();
    const more2 = gate();
    s.session.script.push(async (_p, o) => {
      o.onEvent({ type: "text", delta: "Hello, " });
      await more.promise;
      o.onEvent({ type: "text", delta: "world." });
      o.onEvent({ type: "usage", inputTokens: 12, outputTokens: 3 });
      return { text: "Hello, world.", reason: "done" };
    });
    await s.submit("say hello");
    await s.see("Hello,");
    expect(s.frame()).toContain("› say hello");
    expect(s.frame()).toContain("working…");
    more.open();
    await s.see("Hello, world.");
    // A finished paragraph is printed at once; the one still streaming stays live.
    s.session.script.push(async (_p, o) => {
      o.onEvent({ type: "text", delta: "First paragraph.\n\nSecond" });
      await more2.promise;
      o.onEvent({ type: "text", delta: " paragraph." });
      return { text: "", reason: "done" };
    });
    await s.see("tokens: 12 in · 3 out");
    expect(s.frame()).not.toContain("working…");
    await s.submit("two paragraphs");
    await s.see("Second");
    const { done, live } = s.controller.getState().transcript;
    expect(done[done.length - 1]).toMatchObject({ kind: "assistant", text: "First paragraph." });
    expect(live).toEqual([{ kind: "assistant", text: "Second" }]);
    more2.open();
    await s.see(/First paragraph\.\n\nSecond paragraph\./);
  });

  it("shows a tool call as it starts and finishes, with its diff coloured by line", async () => {
    s = screen();
    const finish = gate();
    s.session.script.push(async (_p, o) => {
      o.onEvent({ type: "text", delta: "Editing." });
      o.onEvent({ type: "tool_started", id: "t1", name: "edit_file", input: { path: "notes.txt" } });
      await finish.promise;
      o.onEvent({
        type: "tool_finished",
        id: "t1",
        name: "edit_file",
        ok: true,
        summary: "edited notes.txt",
        diff: DIFF,
      });
      return { text: "Editing.", reason: "done" };
    });
    await s.submit("fix notes");
    await s.see("… edit_file notes.txt");
    finish.open();
    await s.see("✓ edit_file notes.txt — edited notes.txt");
    expect(s.frame()).toContain("-old line");
    expect(s.frame()).toContain("+new line");
    expect(s.frame()).not.toContain("… edit_file");
    expect(shownOutput(ran("exit code: 0\n--- stdout ---\nbuilt ok\n--- stderr ---\n"))).toBe("built ok");
    expect(shownOutput(ran("exit code: 1\n--- stdout ---\n\n--- stderr ---\nno such file"))).toBe(
      "stderr:\nno such file",
    );
    expect(shownOutput({ ...ran("secret file text"), name: "read_file" })).toBeUndefined();
    expect(["+new line", "-old line", "@@ -1 +1 @@", "+++ b/x", " keep"].map(diffLineStyle)).toEqual([
      "added",
      "removed",
      "hunk",
      "file",
      "context",
    ]);
  });

  it("asks before a command and passes y or n to the session's approver", async () => {
    s = screen();
    const answers: boolean[] = [];
    const ask = (request: ApprovalRequest) => async (_p: string, o: Parameters<typeof s.session.turn>[1]) => {
      answers.push(await o.approve(request));
      return { text: "", reason: "done" as const };
    };
    s.session.script.push(ask({ kind: "command", command: "npm test", sandboxed: true, network: false }));
    await s.submit("run the tests");
    await s.see("Run this command?");
    expect(s.frame()).toContain("$ npm test");
    expect(s.frame()).toContain("in the sandbox, network off");
    await s.press("x"); // anything but y/n is ignored
    expect(answers).toEqual([]);
    await s.press("y");
    await s.see(/approval: ask\s*$/);
    expect(answers).toEqual([true]);
    s.session.script.push(
      ask({ kind: "write", path: "/etc/hosts", outsideWorkingTree: true, diff: "+127.0.0.1 x\n" }),
    );
    await s.submit("edit hosts");
    await s.see("Write outside the working tree?");
    expect(s.frame()).toContain("/etc/hosts");
    await s.press("n");
    await s.see(/approval: ask\s*$/);
    expect(answers).toEqual([true, false]);
    s.session.script.push(
      ask({
        kind: "command",
        command: 'files__read {"path":"a"}',
        sandboxed: false,
        network: true,
        mcp: { server: "files", tool: "read" },
      }),
    );
    await s.submit("use mcp");
    await s.see("Call read on the MCP server files?");
    expect(s.frame()).toContain('files__read {"path":"a"}');
    await s.press("Y");
    await s.see(/approval: ask\s*$/);
    expect(answers).toEqual([true, false, true]);
  });

  it("prints an answered write with its diff and does not repeat the diff in the tool line", async () => {
    s = screen();
    const count = (text: string) => s.frame().split(text).length - 1;
    const write =
      (id: string, path: string, diff: string, ask: boolean): TurnScript =>
      async (_p, o) => {
        o.onEvent({ type: "tool_started", id, name: "write_file", input: { path } });
        const ok = !ask || (await o.approve({ kind: "write", path, outsideWorkingTree: false, diff }));
        const summary = ok ? `wrote ${path}` : "refused";
        o.onEvent({ type: "tool_finished", id, name: "write_file", ok, summary, ...(ok ? { diff } : {}) });
        return { text: "", reason: "done" };
      };
    // Ask mode: the question shows the diff; once allowed, it stays printed once and the tool line points to it.
    s.session.script.push(write("t1", "notes.txt", DIFF, true));
    await s.submit("fix notes");
    await s.see("Write this file?");
    expect(count("+new line")).toBe(1);
    await s.press("y");
    await s.see("✓ write_file notes.txt — wrote notes.txt");
    expect(s.frame()).toMatch(/Allowed: write notes\.txt\n[\s\S]*\+new line[\s\S]*✓ write_file notes\.txt/);
    expect(count("+new line")).toBe(1);
    expect(s.frame()).toContain("  (diff shown above)");
    // Refused: the refused diff is printed with the answer; the tool line has none.
    s.session.script.push(write("t2", "b.txt", "+refused line\n", true));
    await s.submit("write b");
    await s.see("Write this file?");
    await s.press("n");
    await s.see("✗ write_file b.txt — refused");
    expect(s.frame()).toContain("Refused: write b.txt");
    expect(count("+refused line")).toBe(1);
    // No approval (auto-edit, full-auto): the diff is shown in the tool line, as before.
    s.session.script.push(write("t3", "c.txt", "+auto line\n", false));
    await s.submit("write c");
    await s.see("✓ write_file c.txt — wrote c.txt");
    await s.see(/✓ write_file c\.txt — wrote c\.txt\n\s+\+auto line/);
    expect(count("(diff shown above)")).toBe(1);
  });

  it("Ctrl-C cancels the running turn through its signal; a second Ctrl-C while idle exits 0", async () => {
    s = screen();
    let aborted = false;
    s.session.script.push(
      (_p, o) =>
        new Promise((resolve) => {
          o.onEvent({ type: "text", delta: "Thinking for a long time" });
          o.signal.addEventListener("abort", () => {
            aborted = true;
            resolve({ text: "", reason: "cancelled" });
          });
        }),
    );
    await s.submit("a long task");
    await s.see("Thinking for a long time");
    await s.press(KEY.ctrlC);
    await s.see("Turn cancelled.");
    expect(aborted).toBe(true);
    expect(s.exits).toEqual([]);
    await s.press(KEY.ctrlC);
    expect(s.exits).toEqual([0]);
  });

  it("Ctrl-C at an approval question answers no and cancels the turn", async () => {
    s = screen();
    const answers: boolean[] = [];
    let aborted = false;
    s.session.script.push(async (_p, o) => {
      answers.push(
        await o.approve({ kind: "command", command: "rm -rf build", sandboxed: true, network: false }),
      );
      aborted = o.signal.aborted;
      return { text: "", reason: "cancelled" };
    });
    await s.submit("clean up");
    await s.see("$ rm -rf build");
    await s.press(KEY.ctrlC);
    await s.see("Turn cancelled.");
    expect(answers).toEqual([false]);
    expect(aborted).toBe(true);
    expect(s.frame()).not.toContain("Allow? [y/n]");
  });

  it("Esc stops a running turn without arming the exit; Ctrl-D on an empty prompt leaves", async () => {
    s = screen();
    s.session.script.push(
      (_p, o) =>
        new Promise((resolve) => {
          o.signal.addEventListener("abort", () => resolve({ text: "", reason: "cancelled" }));
        }),
    );
    await s.submit("long");
    await s.see("working…");
    await s.press("\x1b");
    await s.see("Turn cancelled.");
    await s.press("x", "\x04");
    expect(s.exits).toEqual([]); // not on a prompt with text
    await s.press(KEY.backspace, "\x04");
    expect(s.exits).toEqual([0]);
  });

  it("Ctrl-C while idle clears the prompt and asks for a second press; typing disarms it", async () => {
    let now = 0;
    s = screen({ now: () => now });
    await s.press("half a thought");
    await s.see("half a thought");
    await s.press(KEY.ctrlC);
    await s.see("Press Ctrl-C again to exit.");
    expect(s.frame()).not.toContain("half a thought");
    now += 5000;
    await s.press("x");
    await s.press(KEY.ctrlC);
    expect(s.exits).toEqual([]);
  });

  it("recalls earlier prompts with Up and Down, keeping the draft", async () => {
    s = screen();
    await s.submit("first prompt");
    await s.submit("second prompt");
    await s.see(/ok[\s\S]*ok/);
    await s.press("draft");
    await s.press(KEY.up);
    await s.see(/› second prompt\s*│/);
    await s.press(KEY.up);
    await s.see(/› first prompt\s*│/);
    await s.press(KEY.down, KEY.down);
    await s.see(/› draft\s*│/);
    expect(s.session.prompts).toEqual(["first prompt", "second prompt"]);
  });

  it("keeps a pasted newline in the prompt; Enter sends it as one prompt", async () => {
    s = screen();
    await s.press("line one\rline two"); // a paste arrives as one read
    await s.press(KEY.pasteStart, "line three", KEY.enter, "line four", KEY.pasteEnd);
    expect(s.session.prompts).toEqual([]);
    await s.press(KEY.enter);
    await s.see("ok");
    expect(s.session.prompts).toEqual(["line one\nline twoline three\nline four"]);
    await s.press("typed fast\r"); // typing and its Enter in one read: sent
    await vi.waitFor(() => expect(s.session.prompts).toHaveLength(2));
    expect(s.session.prompts[1]).toBe("typed fast");
    await s.press("first", "\x1b\r", "second"); // Alt-Enter: a line break
    await s.press(KEY.enter);
    await vi.waitFor(() => expect(s.session.prompts).toHaveLength(3));
    expect(s.session.prompts[2]).toBe("first\nsecond");
  });
});
