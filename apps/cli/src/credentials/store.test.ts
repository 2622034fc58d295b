// auth.json: atomic 0600/0700 writes, tightening loose modes, never quoting its content in errors.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuthStore } from "./store.js";

const TOKEN = `mog_${"c".repeat(32)}`;
const home = () => join(mkdtempSync(join(tmpdir(), "mogplex-store-")), ".mogplex");
const mode = (p: string) => statSync(p).mode & 0o777;

describe("auth.json", () => {
  it("is missing → empty; written as 0600 in a 0700 folder, with nothing left behind", () => {
    const store = new AuthStore(home());
    expect(store.read()).toEqual({ keys: {}, other: {} });
    store.update((d) => {
      d.keys.openai = { type: "api_key", key: "sk-abc", savedAt: "t" };
    });
    expect(mode(store.path)).toBe(0o600);
    expect(mode(store.home)).toBe(0o700);
    expect(readdirSync(store.home)).toEqual(["auth.json"]);
    expect(store.read().keys.openai?.key).toBe("sk-abc");
  });

  it("round-trips the account login and keeps entries it doesn't understand", () => {
    const store = new AuthStore(home());
    store.write({ keys: {}, other: { future: { type: "x", n: 1 } } });
    store.update((d) => {
      d.mogplex = {
        type: "mogplex",
        url: "http://127.0.0.1:4100",
        token: TOKEN,
        prefix: "",
        expiresAt: null,
        method: "device",
        savedAt: "t",
      };
    });
    const raw = JSON.parse(readFileSync(store.path, "utf8")) as Record<string, { type: string }>;
    expect(raw.future).toEqual({ type: "x", n: 1 });
    expect(raw.mogplex?.type).toBe("mogplex");
    const back = store.read().mogplex;
    expect(back).toMatchObject({ token: TOKEN, prefix: TOKEN.slice(0, 12), method: "device" });
    expect(AuthStore.secrets(store.read())).toEqual([TOKEN]);
  });

  it("tightens a file others can read, and says so", () => {
    const warnings: string[] = [];
    const store = new AuthStore(home(), (l) => warnings.push(l));
    store.write({ keys: {}, other: {} });
    chmodSync(store.path, 0o644);
    store.read();
    expect(mode(store.path)).toBe(0o600);
    expect(warnings.join()).toContain("tightened to 600");
  });

  it("a broken file is an error that never quotes its content", () => {
    const store = new AuthStore(home());
    store.write({ keys: {}, other: {} });
    writeFileSync(store.path, `{"mogplex": "${TOKEN}"`);
    expect(() => store.read()).toThrow(/not valid JSON/);
    try {
      store.read();
    } catch (err) {
      expect((err as Error).message).not.toContain(TOKEN);
    }
  });

  it("ignores a malformed login instead of using it", () => {
    const store = new AuthStore(home());
    store.write({ keys: {}, other: {} });
    writeFileSync(store.path, JSON.stringify({ mogplex: { type: "mogplex", url: "x", token: "not-a-pat" } }));
    expect(store.read().mogplex).toBeUndefined();
  });
});
