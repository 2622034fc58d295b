// Test helpers for CLI sign-in: PKCE pairs and the query `mogplex login --browser` opens.
import { createHash, randomBytes } from "node:crypto";
import type { Harness } from "../../test-support/harness.js";

export function pkce(): { verifier: string; challenge: string; nonce: string } {
  const verifier = randomBytes(32).toString("base64url");
  return {
    verifier,
    challenge: createHash("sha256").update(verifier).digest("base64url"),
    nonce: randomBytes(16).toString("hex"),
  };
}

export const CALLBACK = "http://127.0.0.1:43123/callback";

export function cliAuthQuery(p: { challenge: string; nonce: string }, callback = CALLBACK): string {
  return new URLSearchParams({
    callback,
    nonce: p.nonce,
    code_challenge: p.challenge,
    code_challenge_method: "S256",
  }).toString();
}

/** What the app answers for a page path the web app owns (its index.html, or the "not built" page). */
export async function webAppDocument(h: Harness): Promise<string> {
  return (await h.request("GET", "/settings/api-keys")).text();
}
