// Session log files: location, modes, redaction before writing, debug gating, pruning.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KEEP_LOGS, SessionLog } from "./session-log.js";

const home = () => join(mkdtempSync(join(tmpdir(), "mogplex-log-")), ".mogplex");
const mode = (p: string) => statSync(p).mode & 0o777;
const TOKEN = `mog_${"Q".repeat(32)}`;

describe("session log", () => {
  it("writes redacted JSONL at logs/<session-id>.jsonl, 0600 in a 0700 folder", () => {
    const log = new SessionLog(home(), false);
    log.secret("my-provider-key-123");
    log.write("http", {
      method: "GET",
      status: 200,
      note: `used ${TOKEN} and my-provider-key-123`,
      authorization: "x",
    });
    log.close();
    expect(log.path).toBe(join(log.dir, `${log.id}.jsonl`));
    expect(log.id).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-[0-9a-f]{8}$/);
    expect(mode(log.path)).toBe(0o600);
    expect(mode(log.dir)).toBe(0o700);
    const text = readFileSync(log.path, "utf8");
    expect(text).not.toContain(TOKEN.slice(4));
    expect(text).not.toContain("my-provider-key-123");
    const rec = JSON.parse(text) as Record<string, unknown>;
    expect(rec).toMatchObject({
      event: "http",
      session: log.id,
      method: "GET",
      status: 200,
      authorization: "[redacted]",
    });
  });

  it("stream chunks only with MOGPLEX_DEBUG=1 (still redacted)", () => {
    const quiet = new SessionLog(home(), false);
    quiet.write("start");
    quiet.debug("stream.chunk", { chunk: { message: "tool output" } });
    expect(readFileSync(quiet.path, "utf8")).not.toContain("tool output");
    const loud = new SessionLog(home(), true);
    loud.debug("stream.chunk", { chunk: { message: `tool output with ${TOKEN}` } });
    const text = readFileSync(loud.path, "utf8");
    expect(text).toContain("tool output with [redacted]");
  });

  it("fields never overwrite the record's own keys", () => {
    const log = new SessionLog(home(), false);
    log.write("real", { event: "fake", session: "other" });
    expect(JSON.parse(readFileSync(log.path, "utf8"))).toMatchObject({ event: "real", session: log.id });
  });

  it("keeps the newest logs only", () => {
    const h = home();
    const first = new SessionLog(h, false);
    first.write("x");
    for (let i = 0; i < KEEP_LOGS + 5; i++)
      writeFileSync(join(first.dir, `0000-old-${String(i).padStart(3, "0")}.jsonl`), "");
    const next = new SessionLog(h, false);
    next.write("x");
    const files = readdirSync(next.dir);
    expect(files.length).toBe(KEEP_LOGS);
    expect(files).toContain(`${next.id}.jsonl`);
  });

  it("a log that can't be written never breaks the command", () => {
    const log = new SessionLog(join(home(), "\0bad"), false);
    expect(() => log.write("x")).not.toThrow();
  });
});
