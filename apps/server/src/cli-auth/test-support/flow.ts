// Test helpers for CLI sign-in: PKCE pairs, form posts, and pulling values out of the rendered pages.
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

/** Reads the hidden inputs of the first form on a page. */
export function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    out[m[1] as string] = (m[2] as string).replaceAll("&amp;", "&");
  }
  return out;
}

export function postForm(
  h: Harness,
  path: string,
  fields: Record<string, string>,
  o: { cookie?: string; origin?: string | null } = {},
): Promise<Response> {
  return h.request("POST", path, {
    cookie: o.cookie,
    origin: o.origin,
    rawBody: new URLSearchParams(fields).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
}

/** The `href` of the "Continue to the Mogplex CLI" link on the hand-off page. */
export function continueLink(html: string): URL {
  const m = /<a href="([^"]+)">Continue to the Mogplex CLI<\/a>/.exec(html);
  if (!m?.[1]) throw new Error(`no continue link in: ${html}`);
  return new URL(m[1].replaceAll("&amp;", "&"));
}
