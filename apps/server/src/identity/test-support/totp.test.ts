import { describe, expect, it } from "vitest";
import { base32Decode, secretFromUri, totp, wrongCode } from "./totp.js";

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890", 8 digits.
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

describe("totp helper", () => {
  it("decodes base32", () => {
    expect(base32Decode(RFC_SECRET).toString()).toBe("12345678901234567890");
  });
  it("matches the RFC 6238 test vectors", () => {
    expect(totp(RFC_SECRET, 59_000, 30, 8)).toBe("94287082");
    expect(totp(RFC_SECRET, 1_111_111_109_000, 30, 8)).toBe("07081804");
    expect(totp(RFC_SECRET, 2_000_000_000_000, 30, 8)).toBe("69279037");
    expect(totp(RFC_SECRET, 59_000)).toBe("287082");
  });
  it("reads the secret from an otpauth URI and picks a code that is wrong", () => {
    const uri = `otpauth://totp/Mogplex:a%40b.test?secret=${RFC_SECRET}&issuer=Mogplex&digits=6&period=30`;
    expect(secretFromUri(uri)).toBe(RFC_SECRET);
    const w = wrongCode(RFC_SECRET, 59_000);
    expect(w).toMatch(/^\d{6}$/);
    expect([totp(RFC_SECRET, 29_000), totp(RFC_SECRET, 59_000), totp(RFC_SECRET, 89_000)]).not.toContain(w);
  });
});
