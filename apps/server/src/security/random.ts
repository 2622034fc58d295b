// Unbiased random strings from the CSPRNG (rejection sampling, never `byte % n`).
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";

export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `length` characters drawn uniformly from `alphabet` (≤ 256 symbols). */
export function randomString(length: number, alphabet: string = BASE62): string {
  const n = alphabet.length;
  if (n < 2 || n > 256) throw new Error("alphabet must have 2..256 symbols");
  // Largest multiple of n that fits in a byte: bytes at or above it would bias the low symbols.
  const limit = 256 - (256 % n);
  let out = "";
  while (out.length < length) {
    const buf = randomBytes(Math.ceil((length - out.length) * 1.25) + 8);
    for (const b of buf) {
      if (b >= limit) continue;
      out += alphabet[b % n];
      if (out.length === length) break;
    }
  }
  return out;
}

export function newId(): string {
  return randomUUID();
}

export function sha256Hex(input: string | Buffer): string {
  return createHash("sha256").update(input).digest("hex");
}

/** Constant-time string equality (length leak only). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
