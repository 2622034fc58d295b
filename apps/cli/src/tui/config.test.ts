// The session's approval mode: --approval, else config.json's "approval", else ask; bad values are named.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { approvalMode } from "./config.js";

const home = (config?: string) => {
  const dir = mkdtempSync(join(tmpdir(), "mogplex-tui-config-"));
  if (config !== undefined) writeFileSync(join(dir, "config.json"), config);
  return dir;
};

describe("approval mode", () => {
  it("takes the flag, else config.json, else ask", () => {
    expect(approvalMode(home(), undefined)).toBe("ask");
    expect(approvalMode(home('{"approval":"auto-edit"}'), undefined)).toBe("auto-edit");
    expect(approvalMode(home('{"approval":"auto-edit"}'), "full-auto")).toBe("full-auto");
    expect(approvalMode(home('{"theme":"dark"}'), undefined)).toBe("ask");
  });

  it("refuses an unknown flag value (usage, exit 2) and a bad config (naming the file)", () => {
    expect(() => approvalMode(home(), "yolo")).toThrow(expect.objectContaining({ exitCode: 2 }));
    const bad = home('{"approval":"always"}');
    expect(() => approvalMode(bad, undefined)).toThrow(`${join(bad, "config.json")}: "approval" must be`);
    expect(() => approvalMode(home("{not json"), undefined)).toThrow("is not valid JSON");
  });
});
