// Tests for audit payload scrubbing: prompt and credential keys, secret values, depth limit, no size limits.
import { describe, expect, it } from "vitest";
import { AUDIT_MAX_DEPTH, isAuditSecretKey, redactAuditPayload } from "./audit.js";
import { fake } from "./test-support/fakes.js";

const R = "[redacted]";

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: "x" };
  for (let level = 1; level < levels; level++) value = { child: value };
  return value;
}

describe("isAuditSecretKey", () => {
  it.each([
    "prompt",
    "Prompt",
    "systemPrompt",
    "system_prompt",
    "SYSTEM-PROMPT",
    "userPrompt",
    "promptText",
    "apiKey",
    "token",
    "password",
    "credentials",
    "client_secret",
    "Authorization",
  ])("flags %s", (key) => {
    expect(isAuditSecretKey(key)).toBe(true);
  });

  it.each([
    "promptTokens",
    "prompt_tokens",
    "inputTokens",
    "messages",
    "content",
    "name",
    "action",
    "teamId",
  ])("leaves %s alone", (key) => {
    expect(isAuditSecretKey(key)).toBe(false);
  });
});

describe("redactAuditPayload", () => {
  it("redacts prompt and credential keys whatever the value", () => {
    expect(
      redactAuditPayload({
        prompt: "write me a poem",
        systemPrompt: { role: "system", text: "be nice" },
        apiKey: 42,
        headers: { "Set-Cookie": ["a"], accept: "json" },
        usage: { promptTokens: 10, outputTokens: 5 },
        action: "run.create",
      }),
    ).toEqual({
      prompt: R,
      systemPrompt: R,
      apiKey: R,
      headers: { "Set-Cookie": R, accept: "json" },
      usage: { promptTokens: 10, outputTokens: 5 },
      action: "run.create",
    });
  });

  it("redacts secret-looking values in strings", () => {
    expect(redactAuditPayload({ note: `rotated ${fake.mog()}`, list: [`Bearer ${fake.sk()}`] })).toEqual({
      note: `rotated ${R}`,
      list: [`Bearer ${R}`],
    });
  });

  it("keeps containers down to depth 6 and cuts at depth 7", () => {
    expect(AUDIT_MAX_DEPTH).toBe(6);
    expect(redactAuditPayload(nested(6))).toEqual(nested(6));
    let expected: unknown = "[truncated]";
    for (let level = 0; level < 6; level++) expected = { child: expected };
    expect(redactAuditPayload(nested(7))).toEqual(expected);
  });

  it("applies no size limits", () => {
    const payload = {
      text: "t".repeat(5000),
      list: Array.from({ length: 100 }, (_, index) => index),
      wide: Object.fromEntries(Array.from({ length: 60 }, (_, index) => [`k${index}`, index])),
    };
    expect(redactAuditPayload(payload)).toEqual(payload);
  });

  it("handles non-JSON values the same way as events", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(
      redactAuditPayload({
        gone: undefined,
        fn: () => 1,
        big: 7n,
        at: new Date(0),
        nan: Number.NaN,
        list: [undefined, Symbol("s")],
        cyclic,
      }),
    ).toEqual({
      big: "7",
      at: "1970-01-01T00:00:00.000Z",
      nan: null,
      list: [null, null],
      cyclic: { a: 1, self: "[circular]" },
    });
  });

  it("never throws", () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("trap");
        },
      },
    );
    expect(redactAuditPayload({ hostile, ok: true })).toEqual({ hostile: "[unserializable]", ok: true });
    expect(redactAuditPayload(hostile)).toBe("[unserializable]");
  });

  it("is idempotent and does not mutate its input", () => {
    const make = () => ({
      prompt: "p",
      deep: nested(9),
      note: `${fake.gh("p")} and https://u:pw@h`,
      list: [{ password: "x", keep: 1 }],
    });
    const input = make();
    const once = redactAuditPayload(input);
    expect(once).not.toEqual(make());
    expect(redactAuditPayload(once)).toEqual(once);
    expect(input).toEqual(make());
  });
});
