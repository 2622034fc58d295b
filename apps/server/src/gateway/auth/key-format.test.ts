// Gateway key format: exact layout, signature check before anything else, and no acceptance of near-misses.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  displayPrefix,
  GATEWAY_KEY_LENGTH,
  gatewayHmacKey,
  mintGatewayKey,
  parseGatewayKey,
} from "./key-format.js";

const hk = gatewayHmacKey("a-signing-secret-that-is-long-enough-000");

describe("gateway key format", () => {
  it("is pmcp_01 + 32 hex key id + 32 hex secret + 16 hex signature", () => {
    const { key, keyId, secret } = mintGatewayKey(hk);
    expect(key).toMatch(/^pmcp_01[0-9a-f]{32}[0-9a-f]{32}[0-9a-f]{16}$/);
    expect(key).toHaveLength(GATEWAY_KEY_LENGTH);
    expect(key.slice(7, 39)).toBe(keyId);
    expect(key.slice(39, 71)).toBe(secret);
    // The signature is the first 8 bytes of HMAC-SHA256(key, everything before it).
    const sig = createHmac("sha256", hk).update(key.slice(0, -16)).digest().subarray(0, 8).toString("hex");
    expect(key.slice(-16)).toBe(sig);
    expect(parseGatewayKey(hk, key)).toEqual({ keyId, secret });
  });

  it("rejects a forged or altered signature, key id or secret", () => {
    const { key } = mintGatewayKey(hk);
    const swap = (i: number) => key.slice(0, i) + (key[i] === "0" ? "1" : "0") + key.slice(i + 1);
    for (const i of [7, 38, 39, 70, 71, key.length - 1]) expect(parseGatewayKey(hk, swap(i))).toBeNull();
    // Signed with another server's secret.
    const other = mintGatewayKey(gatewayHmacKey("another-signing-secret-long-enough-00000")).key;
    expect(parseGatewayKey(hk, other)).toBeNull();
  });

  it("rejects malformed input", () => {
    const { key } = mintGatewayKey(hk);
    for (const bad of [
      "",
      "pmcp_01",
      key.toUpperCase(),
      `${key}0`,
      key.slice(1),
      key.replace("pmcp_01", "pmcp_02"),
    ]) {
      expect(parseGatewayKey(hk, bad)).toBeNull();
    }
  });

  it("keeps the key id when rotating and shows only a short prefix", () => {
    const first = mintGatewayKey(hk);
    const again = mintGatewayKey(hk, first.keyId);
    expect(again.keyId).toBe(first.keyId);
    expect(again.secret).not.toBe(first.secret);
    expect(displayPrefix(first.keyId)).toBe(first.key.slice(0, 15));
  });
});
