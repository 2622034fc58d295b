// Every credential shape in the corpus is hidden by the pattern sanitiser, alone, in context and in payloads.
import { describe, expect, it } from "vitest";
import { sanitizeEventPayload, sanitizeEventText } from "./event.js";
import { REDACTED, redactSecretValues } from "./secrets.js";
import { CORPUS, leaks } from "./test-support/corpus.js";
import { seededRandom } from "./test-support/fakes.js";

describe("the credential corpus", () => {
  it("holds at least 40 shapes", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CORPUS.map((e) => [e.name, e] as const))("hides %s", (_name, entry) => {
    const out = redactSecretValues(entry.line);
    expect(leaks(out, [entry]), out).toEqual([]);
    expect(out).toContain(REDACTED);
    // Idempotent: a second pass leaves the result as it is.
    expect(redactSecretValues(out)).toBe(out);
  });

  it("hides every shape when they all arrive in one command output, one per line", () => {
    const text = CORPUS.map((e) => e.line).join("\n");
    expect(leaks(text).length).toBeGreaterThan(CORPUS.length);
    const out = redactSecretValues(text);
    expect(leaks(out)).toEqual([]);
    expect(redactSecretValues(out)).toBe(out);
  });

  it("hides them in tool_started arguments and tool_finished output, cut or not", () => {
    const lines = CORPUS.map((e) => e.line);
    for (let i = 0; i < lines.length; i += 6) {
      const batch = lines.slice(i, i + 6).join("\n");
      const started = sanitizeEventPayload({ arguments: { command: `cat <<'EOF'\n${batch}\nEOF` } });
      const finished = sanitizeEventPayload({
        output: `exit code: 0\n--- stdout ---\n${batch}`,
        exitCode: 0,
      });
      for (const payload of [started, finished]) {
        const json = JSON.stringify(payload);
        expect(leaks(json), json).toEqual([]);
        expect(sanitizeEventPayload(payload)).toEqual(payload);
      }
    }
    // One long output: cut at 2,000 chars, and the cut must not leave the head of a secret behind.
    const long = sanitizeEventText(`${"x".repeat(1990)} ${lines.join(" ")}`);
    expect(leaks(long)).toEqual([]);
    expect(sanitizeEventText(long)).toBe(long);
  });

  it("hides them wherever a cut falls, and the cut text is a fixpoint", () => {
    // Positions cover the whole window in which a cut may move back to whitespace, and the exact cut.
    for (const entry of CORPUS) {
      for (let pad = 1780; pad <= 2005; pad++) {
        const cut = sanitizeEventText(`${"y".repeat(pad)} ${entry.line} tail`);
        expect(leaks(cut, [entry]), `${entry.name} at ${pad}`).toEqual([]);
        expect(sanitizeEventText(cut), `${entry.name} at ${pad}`).toBe(cut);
      }
    }
    // Prose-like text with spaces everywhere, secrets at every offset near the limit.
    const words = CORPUS.map((e) => e.line).join(" and then ");
    for (let pad = 1500; pad <= 2000; pad += 7) {
      const cut = sanitizeEventText(`${"word ".repeat(pad / 5)}${words}`);
      expect(leaks(cut)).toEqual([]);
      expect(sanitizeEventText(cut), `at ${pad}`).toBe(cut);
    }
  });

  it("keeps a header cut right after its scheme word stable", () => {
    const line = `Authorization: Bearer ${"z".repeat(40)}`;
    for (let pad = 1960; pad <= 2000; pad++) {
      const cut = sanitizeEventText(`${"q".repeat(pad)} ${line}`);
      expect(sanitizeEventText(cut), `at ${pad}`).toBe(cut);
    }
  });

  it("is idempotent on random mixtures of corpus pieces, separators and markers", () => {
    const pieces = [
      ...CORPUS.map((e) => e.line),
      ...CORPUS.flatMap((e) => e.secrets.map((x) => x.slice(0, Math.ceil(x.length / 2)))),
      "password=",
      '"token": "',
      "--api-key ",
      "Authorization: Bearer ",
      "://",
      "@",
      ";",
      "&",
      '"',
      " ",
      "\n",
      "=",
      ":",
      "-",
      "_",
      REDACTED,
      "[reda",
    ];
    const random = seededRandom(20261204);
    for (let sample = 0; sample < 2500; sample++) {
      let text = "";
      const count = 1 + Math.floor(random() * 7);
      for (let piece = 0; piece < count; piece++) text += pieces[Math.floor(random() * pieces.length)] ?? "";
      const once = redactSecretValues(text);
      expect(redactSecretValues(once), JSON.stringify(text)).toBe(once);
    }
  });

  it.each([
    ["SendGrid-like runs", `SG.${"a".repeat(128)}.${"b".repeat(300)} `],
    [
      "database URIs without credentials",
      `mongodb://${"h".repeat(150)}/${"d".repeat(150)}?${"o".repeat(600)} `,
    ],
    ["private key headers with long bodies", `-----BEGIN PRIVATE KEY-----\n${"A".repeat(12_000)}\n`],
    ["Slack-like segments", `xoxb-${"a1-".repeat(300)} `],
    ["basic-auth-like URLs", `https://${"u".repeat(300)}:${"p".repeat(300)} `],
    ["AWS ids with base64 around", `AKIA${"A".repeat(16)} ${"B/".repeat(30)} `],
  ])("returns on about 1 MB of %s", (_name, unit) => {
    const text = unit.repeat(Math.ceil(1_000_000 / unit.length));
    const started = Date.now();
    expect(redactSecretValues(text).length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
