// Redaction of session-log records: secret keys, secret-shaped values, remembered exact secrets.
import { describe, expect, it } from "vitest";
import { isSecretKey, REDACTED, Redactor } from "./redact.js";

describe("session-log redaction", () => {
  it("redacts secret-looking keys, whatever their spelling", () => {
    const r = new Redactor();
    const out = r.value({
      Authorization: "Bearer x",
      api_key: "k",
      apiKey: "k",
      "Set-Cookie": "c",
      password: "p",
      access_token: "t",
      codeVerifier: "v",
      device_code: "d",
      nested: { clientSecret: "s", keep: "visible" },
      status: 200,
      path: "/api/v1/mogplex/runs",
    }) as Record<string, unknown>;
    for (const k of [
      "Authorization",
      "api_key",
      "apiKey",
      "Set-Cookie",
      "password",
      "access_token",
      "codeVerifier",
      "device_code",
    ]) {
      expect(out[k]).toBe(REDACTED);
    }
    expect(out.nested).toEqual({ clientSecret: REDACTED, keep: "visible" });
    expect(out.status).toBe(200);
    expect(out.path).toBe("/api/v1/mogplex/runs");
    expect(isSecretKey("idempotencyKey")).toBe(false);
    expect(isSecretKey("requestId")).toBe(false);
  });

  it("redacts secret-shaped values inside strings", () => {
    const r = new Redactor();
    const text = [
      `token mog_${"A".repeat(32)} here`,
      "Authorization: Bearer abc.def.ghi",
      "sk-ant-api03-abcdefghijklmnop",
      "ghp_abcdefghijklmnopqrstuvwxyz0123",
      "xoxb-1234567890-abcdef",
      "AKIAABCDEFGHIJKLMNOP",
      "https://user:hunter2@git.example.com/r.git",
      "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
      `pmcp_01${"f".repeat(40)}`,
    ].join("\n");
    const out = r.string(text);
    for (const secret of [
      "AAAAAAAA",
      "abc.def.ghi",
      "sk-ant",
      "ghp_",
      "xoxb-",
      "AKIAAB",
      "hunter2",
      "MIIE",
      "pmcp_01",
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain("https://[redacted]@git.example.com/r.git");
  });

  it("scrubs every exact secret it was told about, anywhere", () => {
    const r = new Redactor();
    r.add("provider-key-without-a-known-shape");
    r.add("short"); // too short to scrub safely: ignored
    expect(
      r.value({
        note: "the key provider-key-without-a-known-shape leaked",
        list: ["provider-key-without-a-known-shape"],
      }),
    ).toEqual({
      note: `the key ${REDACTED} leaked`,
      list: [REDACTED],
    });
    expect(r.string("short")).toBe("short");
  });
});
