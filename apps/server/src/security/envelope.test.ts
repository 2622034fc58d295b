// The at-rest envelope: round trips, key ids, rotation, and refusal of anything tampered or misplaced.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { EnvelopeError, isEnvelope, Keyring } from "./envelope.js";

const secret = () => randomBytes(32).toString("base64url");

describe("Keyring", () => {
  it("round-trips and never shows the plaintext in the envelope", () => {
    const ring = new Keyring(secret());
    const plain = "Bearer planted-credential-0123456789";
    const sealed = ring.encrypt(plain, "connection:1:headers");
    expect(sealed).not.toContain("planted");
    expect(sealed.split(".")).toHaveLength(5);
    expect(sealed.startsWith(`v1.${ring.currentKeyId}.`)).toBe(true);
    expect(isEnvelope(sealed)).toBe(true);
    expect(ring.decrypt(sealed, "connection:1:headers")).toBe(plain);
  });

  it("uses a fresh 96-bit IV every time", () => {
    const ring = new Keyring(secret());
    const a = ring.encrypt("same", "ctx");
    const b = ring.encrypt("same", "ctx");
    expect(a).not.toBe(b);
    expect(Buffer.from(a.split(".")[2] ?? "", "base64url")).toHaveLength(12);
  });

  it("refuses a value moved to another context (AAD binding)", () => {
    const ring = new Keyring(secret());
    const sealed = ring.encrypt("x", "connection:1:headers");
    expect(() => ring.decrypt(sealed, "connection:2:headers")).toThrow(EnvelopeError);
  });

  it("refuses tampered ciphertext, tag or key id", () => {
    const ring = new Keyring(secret());
    const sealed = ring.encrypt("hello world", "c");
    const parts = sealed.split(".");
    const flip = (s: string) => {
      const b = Buffer.from(s, "base64url");
      b[0] = (b[0] ?? 0) ^ 1;
      return b.toString("base64url");
    };
    for (const i of [2, 3, 4]) {
      const bad = [...parts];
      bad[i] = flip(bad[i] ?? "");
      expect(() => ring.decrypt(bad.join("."), "c")).toThrow(EnvelopeError);
    }
    const otherId = [...parts];
    otherId[1] = "AAAAAAAAAAA";
    expect(() => ring.decrypt(otherId.join("."), "c")).toThrow(/not configured/);
    expect(() => ring.decrypt("v2.a.b.c.d", "c")).toThrow(EnvelopeError);
    expect(() => ring.decrypt("garbage", "c")).toThrow(EnvelopeError);
  });

  it("rotates: a previous key still opens old values, reseal moves them to the current key", () => {
    const oldKey = secret();
    const newKey = secret();
    const before = new Keyring(oldKey);
    const sealed = before.encrypt("s3cret", "ctx");
    const during = new Keyring(newKey, [oldKey]);
    expect(during.keyIdOf(sealed)).toBe(before.currentKeyId);
    expect(during.decrypt(sealed, "ctx")).toBe("s3cret");
    const resealed = during.reseal(sealed, "ctx");
    expect(during.keyIdOf(resealed)).toBe(during.currentKeyId);
    const after = new Keyring(newKey);
    expect(after.decrypt(resealed, "ctx")).toBe("s3cret");
    expect(() => after.decrypt(sealed, "ctx")).toThrow(/not configured/);
  });

  it("derives a stable key id from the key and distinct ids for distinct keys", () => {
    const k = secret();
    expect(new Keyring(k).currentKeyId).toBe(new Keyring(k).currentKeyId);
    expect(new Keyring(k).currentKeyId).not.toBe(new Keyring(secret()).currentKeyId);
  });
});
