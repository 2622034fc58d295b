// Which key names mark a secret value, as object keys (walk.ts) and as keys written in free text (keyvalue.ts).

// Matched as substrings of the normalised key, so `x_api_key`, `Set-Cookie` and `DB_PASSWORD` are all caught.
// Substring matching over-redacts on purpose; false positives we accept because hiding a harmless field is
// cheaper than leaking a credential:
//   - `token`: tokenizer, tokenType, tokenCount, tokens (only the explicit count keys below are exempt);
//   - `session`: sessionId, sessionCount; `cookie`: cookiePolicy; `signature`: signatureAlgorithm;
//   - `password`/`secret`/`credential`: passwordMinLength, secretary, credentialType;
//   - `authorization`: authorizationUrl; `bearer`: bearerFormat;
//   - `env`: any key containing those letters, e.g. envelope, and — because separators are stripped first —
//     word joins such as evenValue, greenVideo or open_vpn ("evenvalue", "greenvideo", "openvpn").
const SECRET_KEY_FRAGMENTS: readonly string[] = [
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
const TOKEN_COUNT_KEYS: ReadonlySet<string> = new Set([
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

export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[\s_.-]/g, "");
}

export function isTokenCountKey(key: string): boolean {
  return TOKEN_COUNT_KEYS.has(normalizeKey(key));
}

export function isSecretKey(key: string): boolean {
  const known = KEY_VERDICTS.get(key);
  if (known !== undefined) return known;
  const normalized = normalizeKey(key);
  const verdict =
    !TOKEN_COUNT_KEYS.has(normalized) &&
    SECRET_KEY_FRAGMENTS.some((fragment) => normalized.includes(fragment));
  // Payloads repeat a handful of field names; their verdicts are kept (short names only, bounded).
  if (key.length <= 48) {
    if (KEY_VERDICTS.size >= MAX_KEY_VERDICTS) KEY_VERDICTS.clear();
    KEY_VERDICTS.set(key, verdict);
  }
  return verdict;
}

const MAX_KEY_VERDICTS = 2048;
const KEY_VERDICTS = new Map<string, boolean>();

// Free text adds names that are too short or too generic to hide as object keys, yet are how credentials are
// written in connection strings, URLs and command lines: Azure's `AccountKey=`, SAS `sig=`, ODBC `PWD=`,
// npm's `_auth=`, Datadog's `DD_APP_KEY`, key-file `passphrase`.
const FREE_TEXT_FRAGMENTS: readonly string[] = ["accountkey", "appkey", "passphrase"];
const FREE_TEXT_EXACT: ReadonlySet<string> = new Set(["pwd", "sig", "auth"]);

export function isFreeTextSecretKey(key: string): boolean {
  if (isSecretKey(key)) return true;
  const normalized = normalizeKey(key);
  return FREE_TEXT_EXACT.has(normalized) || FREE_TEXT_FRAGMENTS.some((f) => normalized.includes(f));
}
