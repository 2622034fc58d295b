// Anchor extraction must only ever claim literals a match cannot do without; the index must report them all.
import { describe, expect, it } from "vitest";
import { AnchorIndex, anchorOf } from "./anchors.js";

describe("anchorOf", () => {
  it.each([
    [/(?<!\p{L})npm_[A-Za-z0-9_]{36}(?![A-Za-z0-9_])/gu, ["npm_"]],
    [/(?<!\p{L})(?<type>ghp|gho)_[A-Za-z0-9_]{36}/gu, ["ghp", "gho"]],
    [/\b(A3T[A-Z0-9]|AKIA|ASIA)[A-Z0-9]{16}\b/g, ["a3t", "akia", "asia"]],
    [/["']?(?:AWS|aws)?_?(?:SECRET|secret|Secret)_?(?:KEY|key)["']?\s*=/g, ["secret"]],
    [/sk-(?:proj|admin)-[A-Za-z0-9]{58}T3BlbkFJ|sk-[a-z]{20}T3BlbkFJ/g, ["t3blbkfj"]],
    [/(?<protocol>(?:https?|ftp)):\/\/(?<u>[-\w]{1,256}):/g, ["://"]],
    [/https:\/\/hooks\.slack\.com\/services\/T[a-z]{1,40}/gi, ["https://hooks.slack.com/services/t"]],
    [/-----BEGIN[ ]?(?:RSA )?PRIVATE KEY/g, ["private key"]],
    [/a{2}bc/g, ["bc"]],
    [/[abc]\.de[f]/g, [".de"]],
  ])("finds the literal every match of %s contains", (re, expected) => {
    expect(anchorOf(re)).toEqual(expected);
  });

  it.each([
    [/[A-Za-z0-9]{40}/g, "no literal at all"],
    [/x?y?z?/g, "only optional chars"],
    [/(?:ab)?cd?/g, "optional group, then one char"],
    [/abc|[0-9]+/g, "an alternative without a literal"],
    [/secret/giu, "Unicode case folding (ſ matches s)"],
    [/a(?=bc)/g, "a literal only inside a lookahead"],
    [/(ab|c)d/g, "a group with a one-char alternative"],
  ])("claims nothing for %s (%s)", (re) => {
    expect(anchorOf(re)).toBeNull();
  });

  it("never claims a literal the pattern can match without", () => {
    const cases: Array<[RegExp, string]> = [
      [/["']?(?:AWS|aws)?_?(?:SECRET|secret)_?KEY["']?\s*=/g, "SECRET_KEY ="],
      [/\b(A3T[A-Z0-9]|AKIA)[A-Z0-9]{16}\b/g, "A3TX0123456789ABCDEF"],
      [/(?:xoxb|xoxp)-(?:\d-)?(?:[a-z0-9]{1,40}-)+[a-z0-9]{1,40}/g, "xoxp-1-ab-cd"],
    ];
    for (const [re, text] of cases) {
      expect(re.test(text)).toBe(true);
      const anchor = anchorOf(re) as string[];
      expect(anchor.some((literal) => text.toLowerCase().includes(literal))).toBe(true);
    }
  });
});

describe("AnchorIndex", () => {
  it("reports every anchor, overlapping and prefix ones included, case-insensitively", () => {
    const index = new AnchorIndex<string>([
      [["sk-"], "short"],
      [["sk-ant-api0"], "long"],
      [["ant-"], "inner"],
      [["key"], "key"],
    ]);
    const seen: string[] = [];
    index.scan("SK-ANT-API03 and a Key", (targets, at) => {
      for (const t of targets) seen.push(`${t}@${at}`);
    });
    expect(seen.sort()).toEqual(["inner@3", "key@19", "long@0", "short@0"]);
  });

  it("scans text without anchors in one pass and reports nothing", () => {
    const index = new AnchorIndex<string>([[["npm_"], "npm"]]);
    let hits = 0;
    index.scan("nothing to see ".repeat(10_000), () => hits++);
    expect(hits).toBe(0);
  });
});
