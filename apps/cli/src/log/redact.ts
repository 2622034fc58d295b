// Redaction applied to every session-log record before it is written: secret-looking keys, secret-shaped
// values, and every exact secret this session has seen (tokens, provider keys, auth.json values).

export const REDACTED = "[redacted]";

// Compared after lower-casing and dropping separators, so `api_key`, `Api-Key` and `apiKey` all match.
const SECRET_KEY =
  /^(authorization|cookie|setcookie|password|passwd|secret|clientsecret|token|accesstoken|refreshtoken|idtoken|apikey|privatekey|credential|credentials|jwt|codeverifier|verifier|devicecode)$|token$|secret$|password$|apikey$|credential/;

const SECRET_VALUES: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\bBearer\s+[^\s"',]+/gi,
  /\bmog_[0-9A-Za-z]+/g,
  /\bpmcp_[0-9A-Za-z]+/g,
  /\bsk-[A-Za-z0-9_-]{8,}/g,
  /\b(ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{8,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\bgsk_[A-Za-z0-9]{20,}/g,
  /\bxai-[A-Za-z0-9]{20,}/g,
];
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi;

const MAX_DEPTH = 8;

export class Redactor {
  private readonly known = new Set<string>();

  /** Remembers an exact secret (8+ characters) so it is scrubbed wherever it turns up. */
  add(secret: string | undefined | null): void {
    if (secret && secret.length >= 8) this.known.add(secret);
  }

  string(s: string): string {
    let out = s;
    for (const k of this.known) if (out.includes(k)) out = out.split(k).join(REDACTED);
    for (const re of SECRET_VALUES) out = out.replace(re, REDACTED);
    return out.replace(URL_CREDENTIALS, `$1${REDACTED}@`);
  }

  value(v: unknown, depth = 0): unknown {
    if (typeof v === "string") return this.string(v);
    if (v === null || typeof v !== "object") return v;
    if (depth >= MAX_DEPTH) return "[truncated]";
    if (Array.isArray(v)) return v.map((x) => this.value(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] =
        isSecretKey(k) && x !== null && x !== undefined && x !== "" ? REDACTED : this.value(x, depth + 1);
    }
    return out;
  }
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[^a-z0-9]/g, ""));
}
