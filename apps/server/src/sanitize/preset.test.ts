// The preset adapter against secretlint's own engine: same findings, sound anchors, synchronous rules.
import { lintSource } from "@secretlint/core";
import { creator as preset } from "@secretlint/secretlint-rule-preset-recommend";
import { describe, expect, it } from "vitest";
import { PRESET_RULES, presetRanges, type Range } from "./preset.js";
import { redactSecretValues } from "./secrets.js";
import { CORPUS } from "./test-support/corpus.js";

const PRESET_ID = "@secretlint/secretlint-rule-preset-recommend";

async function coreRanges(text: string): Promise<Range[]> {
  const result = await lintSource({
    source: { content: text, filePath: undefined as unknown as string, ext: ".txt", contentType: "text" },
    options: {
      noPhysicFilePath: true,
      config: {
        rules: [
          {
            id: PRESET_ID,
            rule: preset,
            rules: [{ id: "@secretlint/secretlint-rule-aws", options: { enableIDScanRule: true } }],
          },
        ],
      },
    },
  });
  return result.messages.map((m) => [m.range[0], m.range[1]] as const);
}

const sorted = (ranges: Range[]) => [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);

const SAMPLES: string[] = [
  ...CORPUS.map((e) => e.line),
  CORPUS.map((e) => e.line).join("\n"),
  "build ok in 12ms\nno credentials here: https://example.com/docs?page=2",
  `x ${CORPUS.map((e) => e.line).join(" y ")} z`,
];

describe("the preset adapter", () => {
  it("runs every scanning rule of the installed preset except the in-text disable comments", () => {
    const ids = PRESET_RULES.map((r) => r.id);
    const expected = preset.rules
      .map((r) => r.meta.id)
      .filter((id) => id !== "@secretlint/secretlint-rule-filter-comments");
    expect(ids).toEqual(expected);
    expect(ids.length).toBeGreaterThan(15);
  });

  it.each(SAMPLES.map((s, i) => [i, s] as const))(
    "finds what secretlint core finds (sample %i)",
    async (_i, text) => {
      expect(sorted(presetRanges(text))).toEqual(sorted(await coreRanges(text)));
    },
  );

  it("finds something in most corpus lines, so the comparison above is not vacuous", () => {
    const hits = CORPUS.filter((e) => presetRanges(e.line).length > 0).length;
    expect(hits).toBeGreaterThanOrEqual(25);
  });

  it("gives each rule an anchor that every text it reports on contains", () => {
    let gated = 0;
    for (const rule of PRESET_RULES) {
      if (rule.anchor !== null) gated++;
      for (const text of SAMPLES) {
        if (presetRanges(text, [rule]).length === 0 || rule.anchor === null) continue;
        const lower = text.toLowerCase();
        expect(
          rule.anchor.some((literal) => lower.includes(literal)),
          `${rule.id} reported on a text without ${rule.anchor.join(", ")}`,
        ).toBe(true);
      }
    }
    // All but the GCP rule (which only reads .json/.p12 files) are gated today.
    expect(gated).toBeGreaterThanOrEqual(PRESET_RULES.length - 2);
  });

  it("gets synchronous answers from every rule (an async finding would be lost)", () => {
    for (const rule of PRESET_RULES) {
      for (const text of SAMPLES) {
        const answer = rule.file({ content: text, filePath: undefined, ext: "", contentType: "text" });
        expect(answer instanceof Promise, rule.id).toBe(false);
      }
    }
  });

  it("hides everything core reports, and ignores secretlint-disable comments in the text", async () => {
    for (const text of SAMPLES) {
      const out = redactSecretValues(text);
      for (const [start, end] of await coreRanges(text)) {
        const found = text.slice(start, end);
        if (found.length >= 8) expect(out).not.toContain(found);
      }
    }
    const token = CORPUS.find((e) => e.name === "GitLab PAT")?.line as string;
    expect(redactSecretValues(`// secretlint-disable\n${token}\n// secretlint-enable`)).not.toContain(token);
    expect(redactSecretValues(`${token} // secretlint-disable-line`)).not.toContain(token);
  });
});
