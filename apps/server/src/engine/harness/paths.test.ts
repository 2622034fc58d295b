// Tool path resolution and git numstat parsing: pure helpers of the harness.
import { describe, expect, it } from "vitest";
import { parseNumstat } from "./changes.js";
import { display, PathError, resolveInside } from "./paths.js";

describe("resolveInside", () => {
  it("resolves relative and absolute paths that stay in the workspace", () => {
    expect(resolveInside("/workspace", "src/a.ts")).toBe("/workspace/src/a.ts");
    expect(resolveInside("/workspace/apps/web", "../api/x")).toBe("/workspace/apps/api/x");
    expect(resolveInside("/workspace", "/workspace/b")).toBe("/workspace/b");
    expect(resolveInside("/workspace", undefined)).toBe("/workspace");
    expect(resolveInside("/workspace", "a/../../workspace/c")).toBe("/workspace/c");
  });

  it("refuses paths that leave it, however spelled", () => {
    for (const p of ["../x", "/etc/shadow", "/workspace/../etc", "a/../../..", "/workspacex/y", "/tmp/x"]) {
      expect(() => resolveInside("/workspace", p)).toThrow(PathError);
    }
    expect(() => resolveInside("/workspace", "a\0b")).toThrow(/NUL/);
  });

  it("shows paths relative to the repo root", () => {
    expect(display("/workspace/apps", "/workspace/apps/x.ts")).toBe("x.ts");
    expect(display("/workspace/apps", "/workspace/apps")).toBe(".");
    expect(display("/workspace/apps", "/workspace/other")).toBe("/workspace/other");
  });
});

describe("parseNumstat", () => {
  it("reads -z records, binary files and names with spaces or newlines", () => {
    const out = "3\t1\tsrc/a.ts\u00000\t2\told file.txt\u0000-\t-\timg.png\u00001\t0\tweird\nname\u0000";
    expect(parseNumstat(out)).toEqual([
      { path: "src/a.ts", added: 3, removed: 1, binary: false },
      { path: "old file.txt", added: 0, removed: 2, binary: false },
      { path: "img.png", added: 0, removed: 0, binary: true },
      { path: "weird\nname", added: 1, removed: 0, binary: false },
    ]);
    expect(parseNumstat("")).toEqual([]);
  });
});
