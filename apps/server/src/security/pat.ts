// Personal access token format: "mog_" + 32 base62 chars; stored as SHA-256 hex plus a 12-char prefix.
import { BASE62, randomString, sha256Hex } from "./random.js";

export const PAT_PREFIX = "mog_";
export const PAT_BODY_LENGTH = 32;
const PAT_RE = new RegExp(`^${PAT_PREFIX}[${BASE62}]{${PAT_BODY_LENGTH}}$`);

export interface MintedPat {
  token: string;
  hash: string;
  prefix: string;
}

export function mintPat(): MintedPat {
  const token = PAT_PREFIX + randomString(PAT_BODY_LENGTH);
  return { token, hash: hashPat(token), prefix: token.slice(0, 12) };
}

export function isWellFormedPat(token: string): boolean {
  return PAT_RE.test(token);
}

export function hashPat(token: string): string {
  return sha256Hex(token);
}
