// Frozen copy of the run-event sanitiser as it was before secretlint rules (compiled from apps/server/src/sanitize
// at commit 99d5c92). bench/engine.mjs measures the current sanitiser against it in the same run; never edit.
// Recognises secret-bearing object keys and secret-looking substrings so they never reach events or audit rows.
export const REDACTED = "[redacted]";
// Matched as substrings of the normalised key, so `x_api_key`, `Set-Cookie` and `DB_PASSWORD` are all caught.
// Substring matching over-redacts on purpose; false positives we accept because hiding a harmless field is
// cheaper than leaking a credential:
//   - `token`: tokenizer, tokenType, tokenCount, tokens (only the explicit count keys below are exempt);
//   - `session`: sessionId, sessionCount; `cookie`: cookiePolicy; `signature`: signatureAlgorithm;
//   - `password`/`secret`/`credential`: passwordMinLength, secretary, credentialType;
//   - `authorization`: authorizationUrl; `bearer`: bearerFormat;
//   - `env`: any key containing those letters, e.g. envelope, and — because separators are stripped first —
//     word joins such as evenValue, greenVideo or open_vpn ("evenvalue", "greenvideo", "openvpn").
const SECRET_KEY_FRAGMENTS = [
  "authorization",
  "apikey",
  "token",
  "secret",
  "password",
  "passwd",
  "cookie",
  "credential",
  "session",
  "jwt",
  "env",
  "privatekey",
  "accesskey",
  "clientsecret",
  "bearer",
  "signature",
];
// Usage counters contain "token" but are numbers we deliberately show, so they are exempt by exact
// (normalised) name; anything else mentioning tokens stays redacted.
const TOKEN_COUNT_KEYS = new Set([
  "inputtokens",
  "outputtokens",
  "totaltokens",
  "maxtokens",
  "cachedtokens",
  "reasoningtokens",
  "prompttokens",
  "completiontokens",
  "maxoutputtokens",
  "cachedinputtokens",
  "cachereadinputtokens",
  "cachecreationinputtokens",
]);
export function normalizeKey(key) {
  return key.toLowerCase().replace(/[\s_.-]/g, "");
}
export function isTokenCountKey(key) {
  return TOKEN_COUNT_KEYS.has(normalizeKey(key));
}
export function isSecretKey(key) {
  const normalized = normalizeKey(key);
  if (TOKEN_COUNT_KEYS.has(normalized)) return false;
  return SECRET_KEY_FRAGMENTS.some((fragment) => normalized.includes(fragment));
}
// Every pattern below is a literal prefix followed by a single greedy character class (or a bounded one), so a
// failed attempt costs at most the length of one run and runs don't overlap: the whole scan stays linear.
// Token runs are greedy over a class that includes all of [A-Za-z0-9], so every match ends at an alphanumeric
// boundary; without that, the `(?<![A-Za-z0-9])` guards could see "]" after a replacement and match on a
// second pass, breaking idempotence. For the same reason none of them use a trailing lookahead: a prefix of
// redacted text must never contain a fresh match (truncation keeps prefixes).
const NOT_AFTER_ALNUM = "(?<![A-Za-z0-9])";
const replaceAll = () => REDACTED;
const TOKEN_RULES = [
  // Userinfo must contain a colon: `ssh://git@host` names a user, not a secret. Anchoring on "://" (rather
  // than the scheme) keeps the scan linear; the userinfo classes exclude "/", so runs stop at the next URL.
  {
    pattern: /(?<=[A-Za-z0-9+.-]):\/\/[^\s/?#@"'<>`:]*:[^\s/?#@"'<>`]+@/g,
    replace: () => `://${REDACTED}@`,
  },
  // At least 8 token chars so prose like "Bearer token" survives; "Bearer authentication" is an accepted
  // false positive.
  {
    pattern: new RegExp(`${NOT_AFTER_ALNUM}(bearer)(\\s+)[A-Za-z0-9._~+/-]{8,}=*`, "gi"),
    replace: (_match, word = "Bearer", space = " ") => `${word}${space}${REDACTED}`,
  },
  // Lengths are minimums, not exact, so an over-long token is still hidden rather than leaked whole.
  { pattern: new RegExp(`${NOT_AFTER_ALNUM}mog_[A-Za-z0-9]{32,}`, "g"), replace: replaceAll },
  { pattern: new RegExp(`${NOT_AFTER_ALNUM}pmcp_[A-Za-z0-9]{16,}`, "g"), replace: replaceAll },
  { pattern: new RegExp(`${NOT_AFTER_ALNUM}sk-[A-Za-z0-9_-]{20,}`, "g"), replace: replaceAll },
  { pattern: new RegExp(`${NOT_AFTER_ALNUM}gh[pousr]_[A-Za-z0-9]{36,}`, "g"), replace: replaceAll },
  { pattern: new RegExp(`${NOT_AFTER_ALNUM}github_pat_[A-Za-z0-9_]{20,}`, "g"), replace: replaceAll },
  { pattern: new RegExp(`${NOT_AFTER_ALNUM}xox[abpr]-[A-Za-z0-9-]{10,}`, "g"), replace: replaceAll },
  // AWS key ids are exactly 20 chars; the trailing run is swallowed too so the match ends on a boundary.
  {
    pattern: new RegExp(`${NOT_AFTER_ALNUM}(?:AKIA|ASIA)[A-Z0-9]{16}[A-Za-z0-9]*`, "g"),
    replace: replaceAll,
  },
  { pattern: new RegExp(`${NOT_AFTER_ALNUM}whsec_[A-Za-z0-9+/]{16,}={0,2}`, "g"), replace: replaceAll },
];
// The label is bounded so a failed header match can't backtrack over a long run; PGP's "KEY BLOCK" form counts.
const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
// Found by hand rather than with a lazy `[\s\S]*?` so an unterminated header costs one scan, not one per header.
// A header with no END (text cut short upstream) is redacted through to the end: the key body follows it.
function redactPemBlocks(text) {
  if (!text.includes("PRIVATE KEY")) return text;
  let out = "";
  let cursor = 0;
  for (;;) {
    PEM_BEGIN.lastIndex = cursor;
    const begin = PEM_BEGIN.exec(text);
    if (begin === null) break;
    out += text.slice(cursor, begin.index) + REDACTED;
    PEM_END.lastIndex = begin.index + begin[0].length;
    const end = PEM_END.exec(text);
    if (end === null) {
      cursor = text.length;
      break;
    }
    cursor = end.index + end[0].length;
  }
  return out + text.slice(cursor);
}
export function redactSecretValues(text) {
  // PEM goes first: the token rules could otherwise eat its dashes and leave the key body unmatched.
  let out = redactPemBlocks(text);
  for (const rule of TOKEN_RULES) {
    out = out.replace(rule.pattern, rule.replace);
  }
  return out;
}
const MIN_KNOWN_SECRET_LENGTH = 6;
function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
// Compiled once per sanitisation so a payload with many strings doesn't rebuild the pattern for each.
// One alternation pass (longest first) rather than sequential replaces: a later, shorter secret can then
// never match across a marker inserted by an earlier one. The marker itself is an alternative that maps to
// itself, so a secret such as "redacted" doesn't nest markers on a second pass.
export function compileKnownSecrets(secrets) {
  const usable = [...new Set(secrets)].filter(
    (secret) => typeof secret === "string" && secret.length >= MIN_KNOWN_SECRET_LENGTH,
  );
  if (usable.length === 0) return (text) => text;
  const alternatives = [...usable, REDACTED].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(alternatives.join("|"), "g");
  return (text) => text.replace(pattern, REDACTED);
}
export function redactKnownSecrets(text, secrets) {
  return compileKnownSecrets(secrets)(text);
}
