// Secret values written under a secret-looking key in free text: `password=…`, `secret: …`, `"token": "…"`,
// `--api-key …` / `--api-key=…`, `AWS_SECRET_ACCESS_KEY=…`, `AccountKey=…;` in connection strings.
//
// Driven by the anchor scan: each occurrence of a fragment below is grown into the key around it (at most 64
// key chars either way), so the work per hit is bounded and a value is read once; hits inside a value already
// hidden are skipped. The key must both contain one of these fragments as written and pass
// `isFreeTextSecretKey` (the SPEC's key names after stripping separators).
import { isFreeTextSecretKey } from "./keys.js";
import type { Range } from "./preset.js";

export const KEY_FRAGMENTS: readonly string[] = [
  "auth",
  "key",
  "token",
  "secret",
  "passw",
  "passphrase",
  "pwd",
  "cookie",
  "credential",
  "session",
  "jwt",
  "env",
  "bearer",
  "signature",
  "sig=",
];

const MAX_KEY = 64;
const REDACTED = "[redacted]";

const isKeyChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45;
const isBlank = (c: number): boolean => c === 32 || c === 9;
// Where an unquoted value ends: whitespace, quotes, and the `;` / `&` that separate pairs in connection strings
// and query strings. A password containing one of these is hidden only up to it (documented limitation).
const endsUnquoted = (c: number): boolean =>
  c <= 32 || c === 34 || c === 39 || c === 96 || c === 59 || c === 38 || c === 0x85 || c === 0x2028;
// Auth schemes kept in view before the credential, as in `Authorization: Basic …`.
const SCHEME = /^(?:basic|bearer|digest|token|negotiate|ntlm)[ \t]+(?=\S)/i;
// A scheme word and blanks with nothing after them: the text was cut right after the scheme.
const BARE_SCHEME = /^(?:basic|bearer|digest|token|negotiate|ntlm)[ \t]+$/i;

// Code, not a credential: `const session = await open()`, `token = None`. An unquoted value that is exactly one
// of these words is left alone (quoted, it is a string and hidden like any other).
const CODE_WORDS: ReadonlySet<string> = new Set([
  "await",
  "new",
  "null",
  "undefined",
  "true",
  "false",
  "none",
  "nil",
  "function",
  "async",
  "this",
  "self",
  "typeof",
  "require",
  "return",
]);

function isRedactedPrefix(value: string): boolean {
  return value.length <= REDACTED.length && REDACTED.startsWith(value);
}

/** Index just past the separator (and blanks) after a key ending at `end`, or -1 if there is none. */
function afterSeparator(text: string, end: number, flag: boolean): number {
  let i = end;
  if (text.charCodeAt(i) === 92 && (text[i + 1] === '"' || text[i + 1] === "'")) i += 2;
  else if (text[i] === '"' || text[i] === "'") i++;
  const blanksFrom = i;
  while (isBlank(text.charCodeAt(i))) i++;
  const c = text[i];
  const next = text[i + 1];
  if ((c === "=" && next !== "=" && next !== ">" && next !== "~") || (c === ":" && next !== ":")) {
    i++;
    while (isBlank(text.charCodeAt(i))) i++;
    return i;
  }
  // `--token value`: a flag followed by blanks and a value that is not the next flag.
  if (flag && i > blanksFrom && i < text.length && text[i] !== "-" && !/\s/.test(text[i] as string)) return i;
  return -1;
}

/** The range of the value starting at `at` (content only, quotes kept), or null when there is nothing to hide. */
function valueRange(text: string, at: number): Range | null {
  let open = "";
  if (text.charCodeAt(at) === 92 && (text[at + 1] === '"' || text[at + 1] === "'"))
    open = text.slice(at, at + 2);
  else if (text[at] === '"' || text[at] === "'" || text[at] === "`") open = text[at] as string;
  if (open !== "") {
    const start = at + open.length;
    let end = start;
    for (; end < text.length; end++) {
      const c = text[end];
      if (c === "\n" || c === "\r") break;
      if (open.length === 2 ? text.startsWith(open, end) : c === open) break;
      if (c === "\\" && open.length === 1) end++;
    }
    end = Math.min(end, text.length);
    const content = text.slice(start, end);
    return content.length === 0 || isRedactedPrefix(content) ? null : [start, end];
  }
  const head = text.slice(at, at + 24);
  if (BARE_SCHEME.test(head) && at + head.length === text.length) return null;
  const scheme = SCHEME.exec(head);
  const start = at + (scheme ? scheme[0].length : 0);
  let end = start;
  while (end < text.length && !endsUnquoted(text.charCodeAt(end))) end++;
  const value = text.slice(start, end);
  if (value.length === 0 || isRedactedPrefix(value) || CODE_WORDS.has(value.toLowerCase())) return null;
  // A JSON object or list under a secret key: its own keys are judged one by one.
  if ((value[0] === "{" || value[0] === "[") && !value.startsWith(REDACTED)) return null;
  return [start, end];
}

/** Ranges of values under secret keys, from the positions where the anchor scan saw a key fragment. */
export function keyValueRanges(text: string, hits: readonly number[]): Range[] {
  const out: Range[] = [];
  let consumed = 0;
  for (const hit of hits) {
    if (hit < consumed) continue;
    let start = hit;
    while (start > 0 && hit - start < MAX_KEY && isKeyChar(text.charCodeAt(start - 1))) start--;
    if (start > 0 && isKeyChar(text.charCodeAt(start - 1))) continue;
    let end = hit;
    while (end < text.length && end - hit < MAX_KEY && isKeyChar(text.charCodeAt(end))) end++;
    if (end < text.length && isKeyChar(text.charCodeAt(end))) continue;
    consumed = end;
    // `scheme://user:password@host`: the userinfo detector hides the password and keeps the host.
    if (start >= 3 && text.startsWith("://", start - 3)) continue;
    // The separator is checked first: it is cheap, and most fragments in prose have none after them.
    const flag = text.startsWith("--", start);
    const at = afterSeparator(text, end, flag);
    if (at < 0) continue;
    const key = text.slice(start, end).replace(/^-+/, "");
    if (key.length === 0 || !isFreeTextSecretKey(key)) continue;
    const range = valueRange(text, at);
    if (range === null) continue;
    out.push(range);
    consumed = Math.max(consumed, range[1]);
  }
  return out;
}
