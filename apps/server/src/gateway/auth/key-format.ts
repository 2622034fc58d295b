// Gateway key format: pmcp_01 + key id (32 hex) + secret (32 hex) + signature (16 hex, truncated HMAC-SHA256).
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

export const GATEWAY_KEY_PREFIX = "pmcp_01";
const KEY_RE = /^pmcp_01([0-9a-f]{32})([0-9a-f]{32})([0-9a-f]{16})$/;
export const GATEWAY_KEY_LENGTH = GATEWAY_KEY_PREFIX.length + 32 + 32 + 16;

/**
 * The signing secret is shared with other features, so gateway keys sign with a key derived from it for
 * this one purpose: a signature made for something else can never validate a gateway key.
 */
export function gatewayHmacKey(signingSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(signingSecret, "utf8"), "mogplex", "gateway-key/v1", 32));
}

function sign(hmacKey: Buffer, body: string): string {
  return createHmac("sha256", hmacKey).update(body).digest().subarray(0, 8).toString("hex");
}

export interface MintedGatewayKey {
  key: string;
  keyId: string;
  secret: string;
}

export function mintGatewayKey(hmacKey: Buffer, keyId = randomBytes(16).toString("hex")): MintedGatewayKey {
  if (!/^[0-9a-f]{32}$/.test(keyId)) throw new Error("key id must be 32 lowercase hex characters");
  const secret = randomBytes(16).toString("hex");
  const body = `${GATEWAY_KEY_PREFIX}${keyId}${secret}`;
  return { key: `${body}${sign(hmacKey, body)}`, keyId, secret };
}

/**
 * Format and signature only: no storage is touched, so a flood of made-up keys costs one HMAC each.
 * Returns null for anything malformed or unsigned.
 */
export function parseGatewayKey(
  hmacKey: Buffer,
  presented: string,
): { keyId: string; secret: string } | null {
  if (presented.length !== GATEWAY_KEY_LENGTH) return null;
  const m = KEY_RE.exec(presented);
  if (!m) return null;
  const [, keyId = "", secret = "", sig = ""] = m;
  const expected = Buffer.from(sign(hmacKey, presented.slice(0, -16)), "utf8");
  if (!timingSafeEqual(expected, Buffer.from(sig, "utf8"))) return null;
  return { keyId, secret };
}

/** What listings show: enough to recognise a key, nothing that helps guess it. */
export function displayPrefix(keyId: string): string {
  return `${GATEWAY_KEY_PREFIX}${keyId.slice(0, 8)}`;
}
