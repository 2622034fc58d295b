// Scrubs audit-log payloads: they are kept long-term, so prompts and credentials must never be stored.
import { isSecretKey, isTokenCountKey, normalizeKey, redactSecretValues } from "./secrets.js";
import { walkJson } from "./walk.js";

export const AUDIT_MAX_DEPTH = 6;

// Prompts are user content, not needed to reconstruct who did what. `messages`/`content` are deliberately not
// matched: they are too generic (error messages, content types) to hide wholesale.
export function isAuditSecretKey(key: string): boolean {
  if (isSecretKey(key)) return true;
  // Counts such as promptTokens are shown elsewhere and reveal nothing of the prompt.
  return !isTokenCountKey(key) && normalizeKey(key).includes("prompt");
}

export function redactAuditPayload(value: unknown): unknown {
  return walkJson(value, {
    maxDepth: AUDIT_MAX_DEPTH,
    redactKey: isAuditSecretKey,
    transformString: redactSecretValues,
  });
}
