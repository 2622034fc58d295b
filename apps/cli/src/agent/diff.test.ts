import { describe, expect, it } from "vitest";
import { unifiedDiff } from "./diff.js";

describe("unifiedDiff", () => {
  it("shows a change with 3 lines of context and correct hunk ranges", () => {
    const before = `${Array.from({ length: 10 }, (_, i) => `l${i + 1}`).join("\n")}\n`;
    const after = before.replace("l5\n", "five\n");
    expect(unifiedDiff("f.txt", before, after)).toBe(
      "--- a/f.txt\n+++ b/f.txt\n@@ -2,7 +2,7 @@\n l2\n l3\n l4\n-l5\n+five\n l6\n l7\n l8\n",
    );
  });

  it("a new file is against /dev/null; no change is empty; far-apart changes are two hunks", () => {
    expect(unifiedDiff("n.txt", null, "a\nb\n")).toBe(
      "--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1,2 @@\n+a\n+b\n",
    );
    expect(unifiedDiff("same", "x\n", "x\n")).toBe("");
    const before = `${Array.from({ length: 30 }, (_, i) => `l${i}`).join("\n")}\n`;
    const after = before.replace("l2\n", "two\n").replace("l25\n", "");
    const d = unifiedDiff("f", before, after);
    expect(d.match(/^@@/gm)).toHaveLength(2);
    expect(d).toContain("@@ -23,7 +23,6 @@");
  });
});
