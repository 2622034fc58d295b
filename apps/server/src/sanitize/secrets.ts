// Recognises secret-looking substrings so they never reach events, audit rows or commit messages.
//
// Where the patterns come from: secretlint's recommended rule preset (preset.ts runs its rules' own code),
// our patterns for formats the preset lacks (patterns.ts, each with the reason), and secret values written
// under secret-looking keys in free text (keyvalue.ts). One anchor scan (anchors.ts) decides which of them can
// match a string at all, so a string with nothing credential-like costs one regex pass.
//
// Guarantees (tests: secrets.test.ts, corpus.test.ts, keyvalue.test.ts):
//   - linear: our patterns are literal-anchored with greedy or bounded runs, the preset's are bounded, and the
//     key-value reader grows each hit by at most 64 chars and reads a value once;
//   - idempotent: the result is a fixpoint (a text that changed is passed again until it stops changing), so
//     sanitising sanitised text changes nothing;
//   - safe to cut: event.ts cuts a fixpoint just after whitespace, or re-checks the cut prefix until it is a
//     fixpoint too, so a stored prefix never holds the start of a secret a second pass would still change.
import { AnchorIndex } from "./anchors.js";
import { KEY_FRAGMENTS, keyValueRanges } from "./keyvalue.js";
import { type Detector, PAIR_DETECTORS, PEM_DETECTOR, TOKEN_DETECTORS } from "./patterns.js";
import { type CompiledRule, PRESET_RULES, presetRanges, type Range } from "./preset.js";

export { isFreeTextSecretKey, isSecretKey, isTokenCountKey, normalizeKey } from "./keys.js";

export const REDACTED = "[redacted]";

const KEY_VALUE = Symbol("key-value");
type Target = Detector | CompiledRule | typeof KEY_VALUE;

const DETECTORS: readonly Detector[] = [PEM_DETECTOR, ...PAIR_DETECTORS, ...TOKEN_DETECTORS];
const ALWAYS_DETECTORS = DETECTORS.filter((d) => d.anchor === null);
const ALWAYS_RULES = PRESET_RULES.filter((r) => r.anchor === null);
const PRESET_SET: ReadonlySet<unknown> = new Set(PRESET_RULES);

const INDEX = new AnchorIndex<Target>([
  ...DETECTORS.flatMap((d): Array<[readonly string[], Target]> => (d.anchor ? [[d.anchor, d]] : [])),
  ...PRESET_RULES.flatMap((r): Array<[readonly string[], Target]> => (r.anchor ? [[r.anchor, r]] : [])),
  [KEY_FRAGMENTS, KEY_VALUE],
]);

// Chars a token is made of: a preset range is grown over them, because some rules report a range that stops
// short of the secret's end (the AWS rule measures from the key name but counts only the value's length).
const isTokenChar = (c: number): boolean =>
  (c >= 48 && c <= 57) ||
  (c >= 65 && c <= 90) ||
  (c >= 97 && c <= 122) ||
  c === 95 ||
  c === 45 ||
  c === 46 ||
  c === 43 ||
  c === 47 ||
  c === 61;

/** Replaces every range (overlapping or touching ones merged) with one marker. */
function applyRanges(text: string, ranges: Range[]): string {
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = "";
  let cursor = 0;
  let open: [number, number] | null = null;
  for (const [start, end] of ranges) {
    const s = Math.max(0, Math.min(start, text.length));
    const e = Math.max(s, Math.min(end, text.length));
    if (open !== null && s <= open[1]) {
      open[1] = Math.max(open[1], e);
      continue;
    }
    if (open !== null) {
      out += text.slice(cursor, open[0]) + REDACTED;
      cursor = open[1];
    }
    open = [s, e];
  }
  if (open !== null) {
    out += text.slice(cursor, open[0]) + REDACTED;
    cursor = open[1];
  }
  return out + text.slice(cursor);
}

function pass(text: string): string {
  // Most strings hold no anchor at all; nothing is allocated for them beyond the scan.
  const hits: { detectors?: Set<Detector>; rules?: Set<CompiledRule>; keys?: number[] } = {};
  INDEX.scan(text, (targets, index) => {
    for (const t of targets) {
      if (t === KEY_VALUE) {
        hits.keys ??= [];
        hits.keys.push(index);
      } else if (PRESET_SET.has(t)) {
        hits.rules ??= new Set();
        hits.rules.add(t as CompiledRule);
      } else {
        hits.detectors ??= new Set();
        hits.detectors.add(t as Detector);
      }
    }
  });
  const { detectors, rules, keys: keyHits } = hits;
  // Our patterns and key-value pairs first, on the original text; then the preset over what is left, so a
  // URL whose password we already hid keeps its host instead of disappearing whole into one preset range.
  const ranges: Range[] = [];
  for (const d of ALWAYS_DETECTORS) for (const r of d.ranges(text)) ranges.push(r);
  if (detectors) for (const d of detectors) for (const r of d.ranges(text)) ranges.push(r);
  if (keyHits) for (const r of keyValueRanges(text, keyHits)) ranges.push(r);
  const out = applyRanges(text, ranges);
  const found = presetRanges(out, rules ? [...ALWAYS_RULES, ...rules] : ALWAYS_RULES);
  if (found.length === 0) return out;
  return applyRanges(
    out,
    found.map(([start, end]): Range => {
      let e = end;
      while (e < out.length && isTokenChar(out.charCodeAt(e))) e++;
      return [start, e];
    }),
  );
}

// Passes until nothing changes; text that still changes after this many (never seen) is hidden whole.
const MAX_PASSES = 4;

export function redactSecretValues(text: string): string {
  let current = text;
  for (let i = 0; i < MAX_PASSES; i++) {
    const next = pass(current);
    if (next === current) return current;
    current = next;
  }
  return REDACTED;
}

const MIN_KNOWN_SECRET_LENGTH = 6;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

// Compiled once per sanitisation so a payload with many strings doesn't rebuild the pattern for each.
// One alternation pass (longest first) rather than sequential replaces: a later, shorter secret can then
// never match across a marker inserted by an earlier one. The marker itself is an alternative that maps to
// itself, so a secret such as "redacted" doesn't nest markers on a second pass.
export function compileKnownSecrets(secrets: readonly string[]): (text: string) => string {
  const usable = [...new Set(secrets)].filter(
    (secret) => typeof secret === "string" && secret.length >= MIN_KNOWN_SECRET_LENGTH,
  );
  if (usable.length === 0) return (text) => text;
  // A run's emitter passes the same list with every event: the compiled pattern is reused, not rebuilt.
  const cacheKey = usable.join("\u0000");
  let pattern = COMPILED.get(cacheKey);
  if (pattern === undefined) {
    const alternatives = [...usable, REDACTED].sort((a, b) => b.length - a.length).map(escapeRegExp);
    pattern = new RegExp(alternatives.join("|"), "g");
    if (COMPILED.size >= MAX_COMPILED) COMPILED.delete(COMPILED.keys().next().value as string);
    COMPILED.set(cacheKey, pattern);
  }
  const compiled = pattern;
  return (text) => text.replace(compiled, REDACTED);
}

// Patterns for the most recent lists (one per running run, roughly). They hold values the emitters hold anyway.
const MAX_COMPILED = 64;
const COMPILED = new Map<string, RegExp>();

export function redactKnownSecrets(text: string, secrets: readonly string[]): string {
  return compileKnownSecrets(secrets)(text);
}
