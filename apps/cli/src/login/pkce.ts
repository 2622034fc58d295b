// PKCE (RFC 7636, S256) and the nonce for the browser hand-off.
import { createHash, randomBytes } from "node:crypto";

export interface Pkce {
  verifier: string;
  challenge: string;
  nonce: string;
}

export function makePkce(): Pkce {
  // 32 random bytes → 43 base64url characters: the shortest verifier RFC 7636 allows, 256 bits of entropy.
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: challengeOf(verifier), nonce: randomBytes(16).toString("hex") };
}

export const challengeOf = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");
