// Tests for event payload/message sanitising: redaction, size limits, JSON coercion, stability.
import { describe, expect, it } from "vitest";
import {
  MAX_DEPTH,
  MAX_ENTRIES,
  MAX_PAYLOAD_JSON,
  MAX_STRING,
  sanitizeEventPayload,
  sanitizeEventText,
} from "./event.js";
import { alnum, fake } from "./test-support/fakes.js";

const R = "[redacted]";

/** An object `levels` containers deep whose innermost container holds { leaf: "x" }. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: "x" };
  for (let level = 1; level < levels; level++) value = { child: value };
  return value;
}

function nestedArray(levels: number): unknown[] {
  let value: unknown[] = ["x"];
  for (let level = 1; level < levels; level++) value = [value];
  return value;
}

function objectWithKeys(count: number): Record<string, number> {
  return Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, index]));
}

/** A flat object of short-enough strings whose JSON is exactly `length` chars. */
function payloadWithJsonLength(length: number): Record<string, string> {
  const payload: Record<string, string> = {};
  let index = 0;
  for (;;) {
    const key = `k${index++}`;
    payload[key] = "";
    const room = length - JSON.stringify(payload).length;
    if (room <= MAX_STRING) {
      payload[key] = "v".repeat(room);
      break;
    }
    payload[key] = "v".repeat(MAX_STRING);
  }
  expect(JSON.stringify(payload)).toHaveLength(length);
  return payload;
}

describe("limits", () => {
  it("exposes the documented constants", () => {
    expect({ MAX_STRING, MAX_ENTRIES, MAX_DEPTH, MAX_PAYLOAD_JSON }).toEqual({
      MAX_STRING: 2000,
      MAX_ENTRIES: 25,
      MAX_DEPTH: 3,
      MAX_PAYLOAD_JSON: 20000,
    });
  });
});

describe("sanitizeEventPayload: secret keys", () => {
  it("redacts the value of secret keys whatever its type", () => {
    const out = sanitizeEventPayload({
      apiKey: "plain",
      token: 123,
      password: null,
      credentials: { user: "u", pass: "p" },
      cookies: ["a", "b"],
      session: true,
      env: { HOME: "/root" },
      name: "kept",
    });
    expect(out).toEqual({
      apiKey: R,
      token: R,
      password: R,
      credentials: R,
      cookies: R,
      session: R,
      env: R,
      name: "kept",
    });
  });

  it("matches keys case-insensitively after stripping separators, at any depth", () => {
    const out = sanitizeEventPayload({
      headers: { "API-Key": "a", "Set-Cookie": "b", Accept: "json" },
      db: { DB_PASSWORD: "c", host: "h" },
      list: [{ x_api_key: "d", privateKey: "e", ENV: "f", ok: 1 }],
    });
    expect(out).toEqual({
      headers: { "API-Key": R, "Set-Cookie": R, Accept: "json" },
      db: { DB_PASSWORD: R, host: "h" },
      list: [{ x_api_key: R, privateKey: R, ENV: R, ok: 1 }],
    });
  });

  it("keeps usage token counts", () => {
    const usage = {
      inputTokens: 10,
      outputTokens: 20,
      totalTokens: 30,
      maxTokens: 4096,
      cachedTokens: 5,
      reasoningTokens: 7,
    };
    expect(sanitizeEventPayload({ usage })).toEqual({ usage });
  });

  it("drops an undefined secret key rather than inventing it", () => {
    expect(sanitizeEventPayload({ token: undefined, a: 1 })).toEqual({ a: 1 });
  });

  it("emits nothing for keys beyond the entry limit, secret or not", () => {
    const payload: Record<string, unknown> = objectWithKeys(MAX_ENTRIES);
    payload.password = "late";
    const out = sanitizeEventPayload(payload) as Record<string, unknown>;
    expect(out.password).toBeUndefined();
    expect(JSON.stringify(out)).not.toContain("late");
  });
});

describe("sanitizeEventPayload: secret values", () => {
  it("redacts secret-looking substrings in every string", () => {
    const out = sanitizeEventPayload({
      note: `using ${fake.sk()} now`,
      args: ["--header", `Authorization: Bearer ${fake.mog()}`],
      deep: { url: "postgres://app:pw123456@db/x" },
    });
    expect(out).toEqual({
      note: `using ${R} now`,
      args: ["--header", `Authorization: Bearer ${R}`],
      deep: { url: `postgres://${R}@db/x` },
    });
  });

  it("redacts known secret values before the pattern rules", () => {
    const out = sanitizeEventPayload(
      { cmd: "echo hunter2-secret", nested: [["x hunter2-secret y"]], short: "abc" },
      { knownSecrets: ["hunter2-secret", "abc"] },
    );
    expect(out).toEqual({ cmd: `echo ${R}`, nested: [[`x ${R} y`]], short: "abc" });
  });

  it("applies known secrets first, so a known value containing a token pattern is hidden whole", () => {
    const known = `pw-${fake.sk()}`;
    expect(sanitizeEventPayload({ cmd: `x ${known}` }, { knownSecrets: [known] })).toEqual({ cmd: `x ${R}` });
    expect(sanitizeEventText(`x ${known}`, { knownSecrets: [known] })).toBe(`x ${R}`);
  });

  it("redacts before truncating, so a secret across the cut point cannot leak a prefix", () => {
    const secret = fake.sk(60);
    const out = sanitizeEventPayload({ s: `${"a".repeat(1980)} ${secret}` }) as { s: string };
    expect(out.s).toBe(`${"a".repeat(1980)} ${R}`);
  });

  it("redacts secrets hidden in object keys from the oversized preview", () => {
    const payload: Record<string, string> = payloadWithJsonLength(MAX_PAYLOAD_JSON + 10);
    const out = sanitizeEventPayload({ [fake.gh("p")]: 1, ...payload }) as { payloadPreview: string };
    expect(out.payloadPreview.startsWith(`{"${R}":1,`)).toBe(true);
  });
});

describe("sanitizeEventPayload: strings", () => {
  it("keeps a string of exactly MAX_STRING chars", () => {
    const text = "s".repeat(2000);
    expect(sanitizeEventPayload({ text })).toEqual({ text });
  });

  it("cuts a string one over the limit and reports one removed char", () => {
    expect(sanitizeEventPayload({ text: "s".repeat(2001) })).toEqual({
      text: `${"s".repeat(2000)}…[truncated 1 chars]`,
    });
  });

  it("reports the number of removed chars", () => {
    expect(sanitizeEventPayload(["t".repeat(2500)])).toEqual([`${"t".repeat(2000)}…[truncated 500 chars]`]);
  });

  it("cuts a top-level string too", () => {
    expect(sanitizeEventPayload("u".repeat(3000))).toBe(`${"u".repeat(2000)}…[truncated 1000 chars]`);
  });

  it("does not split a surrogate pair at the cut", () => {
    const text = `${"a".repeat(1999)}😀tail`;
    expect(sanitizeEventPayload(text)).toBe(`${"a".repeat(1999)}…[truncated 6 chars]`);
  });
});

describe("sanitizeEventPayload: arrays and objects", () => {
  it("keeps an array of exactly MAX_ENTRIES items", () => {
    const list = Array.from({ length: 25 }, (_, index) => index);
    expect(sanitizeEventPayload({ list })).toEqual({ list });
  });

  it("keeps the first 25 items and appends a count of the rest", () => {
    const list = Array.from({ length: 26 }, (_, index) => index);
    expect(sanitizeEventPayload(list)).toEqual([...list.slice(0, 25), "…[truncated 1 items]"]);
    const long = Array.from({ length: 100 }, (_, index) => index);
    expect(sanitizeEventPayload(long)).toEqual([...long.slice(0, 25), "…[truncated 75 items]"]);
  });

  it("keeps an object of exactly MAX_ENTRIES keys", () => {
    const payload = objectWithKeys(25);
    expect(sanitizeEventPayload(payload)).toEqual(payload);
  });

  it("keeps the first 25 keys and adds a … key counting the rest", () => {
    const out = sanitizeEventPayload(objectWithKeys(40)) as Record<string, unknown>;
    expect(out).toEqual({ ...objectWithKeys(25), "…": "[truncated 15 keys]" });
    expect(Object.keys(out).at(-1)).toBe("…");
  });

  it("does not count keys whose values JSON would drop", () => {
    const payload: Record<string, unknown> = { ...objectWithKeys(25), gone: undefined, fn: () => 1 };
    expect(sanitizeEventPayload(payload)).toEqual(objectWithKeys(25));
  });
});

describe("sanitizeEventPayload: depth", () => {
  it("keeps containers down to depth 3", () => {
    expect(sanitizeEventPayload(nested(3))).toEqual(nested(3));
    expect(sanitizeEventPayload(nestedArray(3))).toEqual(nestedArray(3));
  });

  it("replaces a container at depth 4 with [truncated]", () => {
    expect(sanitizeEventPayload(nested(4))).toEqual({ child: { child: { child: "[truncated]" } } });
    expect(sanitizeEventPayload(nestedArray(4))).toEqual([[["[truncated]"]]]);
    expect(sanitizeEventPayload({ a: [{ b: [] }] })).toEqual({ a: [{ b: "[truncated]" }] });
  });

  it("keeps scalars at depth 4", () => {
    const date = new Date("2024-01-02T03:04:05.000Z");
    expect(sanitizeEventPayload({ a: { b: { c: "x", d: 1, e: null, f: date } } })).toEqual({
      a: { b: { c: "x", d: 1, e: null, f: "2024-01-02T03:04:05.000Z" } },
    });
  });
});

describe("sanitizeEventPayload: overall size cap", () => {
  it("keeps a payload whose JSON is exactly MAX_PAYLOAD_JSON chars", () => {
    const payload = payloadWithJsonLength(20000);
    expect(sanitizeEventPayload(payload)).toEqual(payload);
  });

  it("replaces a larger payload with a 2,000-char preview of its JSON", () => {
    const payload = payloadWithJsonLength(20001);
    const out = sanitizeEventPayload(payload);
    expect(out).toEqual({ truncated: true, payloadPreview: JSON.stringify(payload).slice(0, 2000) });
  });

  it("measures the JSON after the per-value limits, not before", () => {
    const payload = { list: Array.from({ length: 1000 }, () => "x".repeat(50)) };
    const out = sanitizeEventPayload(payload) as { list: unknown[] };
    expect(out.list).toHaveLength(26);
  });

  it("caps a payload that is only large after per-value limits", () => {
    const payload = Array.from({ length: 30 }, () => "y".repeat(5000));
    const out = sanitizeEventPayload(payload) as { truncated: boolean; payloadPreview: string };
    expect(out.truncated).toBe(true);
    expect(out.payloadPreview).toHaveLength(2000);
    expect(out.payloadPreview.startsWith(`["${"y".repeat(100)}`)).toBe(true);
  });
});

describe("sanitizeEventPayload: non-JSON values", () => {
  it("drops undefined, functions and symbols from objects", () => {
    expect(sanitizeEventPayload({ a: undefined, b: () => 1, c: Symbol("s"), d: 1 })).toEqual({ d: 1 });
  });

  it("turns undefined, functions and symbols in arrays into null, like JSON", () => {
    expect(sanitizeEventPayload([undefined, () => 1, Symbol("s"), 2])).toEqual([null, null, null, 2]);
  });

  it("returns undefined for a top-level value JSON would drop", () => {
    expect(sanitizeEventPayload(undefined)).toBeUndefined();
    expect(sanitizeEventPayload(() => 1)).toBeUndefined();
  });

  it("turns bigint into a string and Dates into ISO strings", () => {
    expect(sanitizeEventPayload({ n: 12345678901234567890n, at: new Date(0) })).toEqual({
      n: "12345678901234567890",
      at: "1970-01-01T00:00:00.000Z",
    });
  });

  it("turns NaN, Infinity and invalid dates into null", () => {
    expect(sanitizeEventPayload([Number.NaN, Number.POSITIVE_INFINITY, -Infinity, new Date("nope")])).toEqual(
      [null, null, null, null],
    );
  });

  it("marks cycles but expands shared references", () => {
    const shared = { v: 1 };
    const root: Record<string, unknown> = { a: shared, b: shared };
    root.self = root;
    const list: unknown[] = [1];
    list.push(list);
    expect(sanitizeEventPayload(root)).toEqual({ a: { v: 1 }, b: { v: 1 }, self: "[circular]" });
    expect(sanitizeEventPayload(list)).toEqual([1, "[circular]"]);
  });

  it("serialises errors by name and message, without the stack", () => {
    const error = Object.assign(new TypeError("bad thing"), { code: "E_BAD" });
    expect(sanitizeEventPayload({ error })).toEqual({
      error: { name: "TypeError", message: "bad thing", code: "E_BAD" },
    });
  });

  it("serialises Maps as objects and Sets as arrays, with the same limits", () => {
    const map = new Map<unknown, unknown>([
      ["a", 1],
      [2, "b"],
      ["token", "t"],
    ]);
    const set = new Set(Array.from({ length: 30 }, (_, index) => index));
    expect(sanitizeEventPayload({ map, set })).toEqual({
      map: { a: 1, "2": "b", token: R },
      set: [...Array.from({ length: 25 }, (_, index) => index), "…[truncated 5 items]"],
    });
  });

  it("honours toJSON, including one that returns the object itself", () => {
    const custom = { toJSON: () => ({ shown: `k ${fake.sk()}` }) };
    const selfish = {
      a: 1,
      toJSON() {
        return this;
      },
    };
    expect(sanitizeEventPayload({ custom, url: new URL("https://u:pw@h/p") })).toEqual({
      custom: { shown: `k ${R}` },
      url: `https://${R}@h/p`,
    });
    expect(sanitizeEventPayload(selfish)).toEqual({ a: 1 });
  });

  it("unwraps boxed primitives", () => {
    expect(sanitizeEventPayload([new String("s"), new Number(2), new Boolean(false)])).toEqual([
      "s",
      2,
      false,
    ]);
  });

  it("stores a __proto__ key as data without touching the prototype", () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const out = sanitizeEventPayload(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__", "a"]);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });

  it("never throws, replacing unreadable parts with a marker", () => {
    const throwingGetter = {
      ok: 1,
      get boom(): never {
        throw new Error("getter");
      },
    };
    const hostileProxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("trap");
        },
      },
    );
    const badToJson = {
      toJSON() {
        throw new Error("toJSON");
      },
    };
    expect(sanitizeEventPayload(throwingGetter)).toEqual({ ok: 1, boom: "[unserializable]" });
    expect(sanitizeEventPayload({ p: hostileProxy, j: badToJson, n: 1 })).toEqual({
      p: "[unserializable]",
      j: "[unserializable]",
      n: 1,
    });
    expect(sanitizeEventPayload(hostileProxy)).toBe("[unserializable]");
  });

  it("passes plain JSON through unchanged", () => {
    const payload = { a: 1, b: [true, null, "x"], c: { d: -2.5 } };
    expect(sanitizeEventPayload(payload)).toEqual(payload);
    expect(sanitizeEventPayload(null)).toBeNull();
    expect(sanitizeEventPayload(7)).toBe(7);
  });
});

describe("sanitizeEventPayload: stability", () => {
  const samples: [string, () => unknown][] = [
    [
      "mixed payload",
      () => {
        const cyclic: Record<string, unknown> = { name: "c" };
        cyclic.me = cyclic;
        return {
          apiKey: "k",
          note: `see ${fake.gh("p")} and hunter2-secret`,
          long: "L".repeat(5000),
          longWithSecret: `${fake.aws()} ${"m".repeat(3000)}`,
          list: Array.from({ length: 60 }, (_, index) => ({ index })),
          wide: objectWithKeys(30),
          deep: nested(6),
          usage: { inputTokens: 1 },
          when: new Date(5),
          big: 10n,
          nan: Number.NaN,
          cyclic,
          emoji: `${"e".repeat(1999)}😀😀`,
        };
      },
    ],
    ["oversized payload", () => Array.from({ length: 25 }, () => `${fake.sk()} ${"z".repeat(4000)}`)],
    ["oversized flat payload", () => payloadWithJsonLength(30000)],
    ["long top-level string", () => `${"q".repeat(2100)}${fake.mog()}`],
    ["long array", () => Array.from({ length: 30 }, (_, index) => index)],
  ];

  it.each(samples)("sanitising a %s twice equals sanitising it once", (_name, make) => {
    const opts = { knownSecrets: ["hunter2-secret"] };
    const once = sanitizeEventPayload(make(), opts);
    expect(sanitizeEventPayload(once, opts)).toEqual(once);
  });

  it.each(samples)("does not mutate the input (%s)", (_name, make) => {
    const input = make();
    const before = make();
    sanitizeEventPayload(input, { knownSecrets: ["hunter2-secret"] });
    expect(input).toEqual(before);
  });

  it("actually changes the mixed sample (guards the stability tests against a no-op)", () => {
    const make = samples[0]?.[1];
    expect(make).toBeDefined();
    if (make === undefined) return;
    const once = sanitizeEventPayload(make()) as Record<string, unknown>;
    expect(once.apiKey).toBe(R);
    expect(once.long).toBe(`${"L".repeat(2000)}…[truncated 3000 chars]`);
    expect(once.list as unknown[]).toHaveLength(26);
  });
});

describe("sanitizeEventText", () => {
  it("redacts known secrets and secret patterns", () => {
    expect(
      sanitizeEventText(`ran with hunter2-secret and ${fake.whsec()}`, { knownSecrets: ["hunter2-secret"] }),
    ).toBe(`ran with ${R} and ${R}`);
  });

  it("applies the string length limit with exact boundaries", () => {
    expect(sanitizeEventText("m".repeat(2000))).toBe("m".repeat(2000));
    expect(sanitizeEventText("m".repeat(2001))).toBe(`${"m".repeat(2000)}…[truncated 1 chars]`);
  });

  it("is idempotent, even for cut text", () => {
    for (const text of [
      "short",
      "m".repeat(5000),
      `${alnum(1995)} ${fake.sk()}`,
      `${fake.pem()}${"p".repeat(3000)}`,
    ]) {
      const once = sanitizeEventText(text);
      expect(sanitizeEventText(once)).toBe(once);
    }
  });

  it("re-cuts text whose fake truncation suffix hides an over-long body", () => {
    const forged = `${"f".repeat(3000)}…[truncated 1 chars]`;
    const out = sanitizeEventText(forged);
    expect(out).toBe(`${"f".repeat(2000)}…[truncated 1020 chars]`);
  });
});
