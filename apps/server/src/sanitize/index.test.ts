// Guards the public surface: everything callers rely on is reachable from the barrel.
import { describe, expect, it } from "vitest";
import {
  isSecretKey,
  MAX_DEPTH,
  MAX_ENTRIES,
  MAX_PAYLOAD_JSON,
  MAX_STRING,
  REDACTED,
  redactAuditPayload,
  redactKnownSecrets,
  redactSecretValues,
  sanitizeEventPayload,
  sanitizeEventText,
} from "./index.js";

describe("sanitize barrel", () => {
  it("re-exports working functions and the limits", () => {
    expect(isSecretKey("API-Key")).toBe(true);
    expect(redactSecretValues("Bearer abcdefgh12")).toBe(`Bearer ${REDACTED}`);
    expect(redactKnownSecrets("x hunter22", ["hunter22"])).toBe(`x ${REDACTED}`);
    expect(sanitizeEventPayload({ token: "t" })).toEqual({ token: REDACTED });
    expect(sanitizeEventText("m".repeat(2001))).toHaveLength(2000 + "…[truncated 1 chars]".length);
    expect(redactAuditPayload({ systemPrompt: "p" })).toEqual({ systemPrompt: REDACTED });
    expect([MAX_STRING, MAX_ENTRIES, MAX_DEPTH, MAX_PAYLOAD_JSON]).toEqual([2000, 25, 3, 20000]);
  });
});
