// Finds, for a regular expression, literal text that every match must contain, and builds one scan that tells
// which detectors can possibly match a string. Only a speed-up: a detector whose anchors are absent cannot
// match, and a detector whose pattern yields no anchor runs on every string.
//
// Why: a V8 regex pass over a few KB costs about the same whatever the pattern, so forty-odd detectors meant
// forty-odd passes per string. One case-insensitive alternation of all anchors costs about as much as the old
// sanitiser's ten passes, and the detectors themselves then run only on strings that hold their anchor.

/** A set of literals, one of which appears in every match (lower-cased; matched case-insensitively). */
export type Anchor = readonly string[];

// Letters after a backslash are classes, assertions or escapes of a char; anything else is that char itself.
const isWordChar = (c: string): boolean => /[A-Za-z0-9_]/.test(c);

interface Atom {
  /** The literal alternatives this atom matches exactly, or null when it is not a plain literal. */
  readonly literals: readonly string[] | null;
  /** For a group that is not plain: one anchor per alternative, united (a match passes through one). */
  readonly anchors?: readonly string[] | null;
  readonly zeroWidth: boolean;
}

/** Splits `source` at top-level `|`. Returns null on anything it does not understand (no anchor then). */
function splitTop(source: string): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") {
      const end = classEnd(source, i);
      if (end < 0) return null;
      i = end;
    } else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) return null;
  }
  if (depth !== 0) return null;
  parts.push(source.slice(start));
  return parts;
}

function classEnd(source: string, open: number): number {
  let i = open + 1;
  if (source[i] === "^") i++;
  for (; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === "]") return i;
  }
  return -1;
}

function groupEnd(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") {
      i = classEnd(source, i);
      if (i < 0) return -1;
    } else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return -1;
}

/** Length of a quantifier at `i` (`?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}`, each maybe lazy), or 0. */
function quantifierLength(source: string, i: number): number {
  const c = source[i];
  let len = 0;
  if (c === "?" || c === "*" || c === "+") len = 1;
  else if (c === "{") {
    const m = /^\{\d+(?:,\d*)?\}/.exec(source.slice(i, i + 24));
    if (m) len = m[0].length;
  }
  if (len > 0 && source[i + len] === "?") len++;
  return len;
}

/** Literal alternatives of a group body made only of plain characters, e.g. `ghp|gho` → ["ghp", "gho"]. */
function plainAlternatives(body: string): string[] | null {
  const parts = splitTop(body);
  if (!parts) return null;
  const out: string[] = [];
  for (const part of parts) {
    const literals = sequenceAnchors(part, true);
    if (literals === null || literals.length !== 1) return null;
    out.push(literals[0] as string);
  }
  return out;
}

/** Union of the best anchor of each alternative of a group body; null if one alternative has none. */
function groupAnchors(body: string): string[] | null {
  const parts = splitTop(body);
  if (!parts) return null;
  const out: string[] = [];
  for (const part of parts) {
    const found = sequenceAnchors(part, false);
    if (!found) return null;
    out.push(...found);
  }
  return out;
}

/**
 * Walks one alternative. With `whole`, returns its text if it is one plain literal (else null); otherwise
 * returns the best anchor found in it (a literal run or a group of literal alternatives), or null.
 */
function sequenceAnchors(source: string, whole: boolean): string[] | null {
  const candidates: string[][] = [];
  let run = "";
  let plain = true;
  const endRun = () => {
    if (run.length > 0) candidates.push([run]);
    run = "";
  };
  for (let i = 0; i < source.length; ) {
    const c = source[i] as string;
    let atom: Atom;
    let next: number;
    if (c === "\\") {
      const e = source[i + 1] ?? "";
      if (e === "" || isWordChar(e)) {
        // \d \w \s \b \p{…} \u… \x… \k<…> back-references: not literal; skip their argument if any.
        const arg =
          /^\\(?:[pPk]\{[^}]*\}|k<[^>]*>|u\{[0-9A-Fa-f]+\}|u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|c[A-Za-z]|\d+|.)/s.exec(
            source.slice(i),
          );
        next = i + (arg?.[0].length ?? 2);
        atom = { literals: null, zeroWidth: e === "b" || e === "B" };
      } else {
        atom = { literals: [e], zeroWidth: false };
        next = i + 2;
      }
    } else if (c === "[") {
      const end = classEnd(source, i);
      if (end < 0) return null;
      atom = { literals: null, zeroWidth: false };
      next = end + 1;
    } else if (c === "(") {
      const end = groupEnd(source, i);
      if (end < 0) return null;
      const head = /^\((\?(?:[:=!]|<[=!]|<[A-Za-z_$][\w$]*>))?/.exec(source.slice(i))?.[0] ?? "(";
      const lookaround = /^\(\?(?:[=!]|<[=!])/.test(head);
      const body = source.slice(i + head.length, end);
      atom = lookaround
        ? { literals: null, zeroWidth: true }
        : { literals: plainAlternatives(body), anchors: groupAnchors(body), zeroWidth: false };
      next = end + 1;
    } else if (c === "^" || c === "$") {
      atom = { literals: null, zeroWidth: true };
      next = i + 1;
    } else if (c === "." || c === "|" || c === ")" || c === "?" || c === "*" || c === "+") {
      atom = { literals: null, zeroWidth: false };
      next = i + 1;
    } else {
      atom = { literals: [c], zeroWidth: false };
      next = i + 1;
    }
    const q = quantifierLength(source, next);
    const quantified = q > 0;
    i = next + q;
    if (atom.literals !== null && atom.literals.length === 1 && !quantified) {
      run += atom.literals[0];
      continue;
    }
    plain = false;
    endRun();
    if (quantified) continue;
    if (atom.literals !== null && atom.literals.length > 0) candidates.push([...atom.literals]);
    else if (atom.anchors) candidates.push([...atom.anchors]);
  }
  if (whole) return plain ? [run] : null;
  endRun();
  let best: string[] | null = null;
  const score = (set: string[]) => Math.min(...set.map((s) => s.length));
  for (const set of candidates) {
    if (score(set) < MIN_ANCHOR) continue;
    if (best === null || score(set) > score(best) || (score(set) === score(best) && set.length < best.length))
      best = set;
  }
  return best;
}

// Anchors shorter than this would fire on almost every string; such a pattern is treated as unanchored.
const MIN_ANCHOR = 2;

/**
 * Literals one of which every match of `re` contains, lower-cased; null if none can be proven. Patterns with
 * Unicode case folding (`iu`, `v`) or non-ASCII anchors are never anchored: lower-casing would not be exact.
 */
export function anchorOf(re: RegExp): Anchor | null {
  if (re.flags.includes("v") || (re.flags.includes("i") && re.flags.includes("u"))) return null;
  const alternatives = splitTop(re.source);
  if (!alternatives) return null;
  const out = new Set<string>();
  for (const alternative of alternatives) {
    const found = sequenceAnchors(alternative, false);
    if (!found || found.some((s) => s.length < MIN_ANCHOR || /[^\x20-\x7e]/.test(s))) return null;
    for (const s of found) out.add(s.toLowerCase());
  }
  return [...out];
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

/** One scan for many anchors: which targets may match, and where each anchor was seen. */
export class AnchorIndex<T> {
  private readonly pattern: RegExp | null;
  private readonly byLiteral = new Map<string, T[]>();

  constructor(entries: ReadonlyArray<readonly [Anchor, T]>) {
    for (const [anchor, target] of entries) {
      for (const literal of anchor) {
        const list = this.byLiteral.get(literal) ?? [];
        if (!list.includes(target)) list.push(target);
        this.byLiteral.set(literal, list);
      }
    }
    // Longest first, and every shorter literal that is a prefix of a longer one is credited with it too, so
    // the alternation choosing one literal at a position never hides another that starts there.
    const literals = [...this.byLiteral.keys()].sort((a, b) => b.length - a.length);
    for (const long of literals) {
      for (const short of literals) {
        if (short !== long && long.startsWith(short)) {
          const list = this.byLiteral.get(long) as T[];
          for (const t of this.byLiteral.get(short) ?? []) if (!list.includes(t)) list.push(t);
        }
      }
    }
    this.pattern = literals.length > 0 ? new RegExp(literals.map(escapeRegExp).join("|"), "gi") : null;
  }

  /** Calls `hit` for every anchor occurrence (overlapping ones included), with its targets. */
  scan(text: string, hit: (targets: readonly T[], index: number, literal: string) => void): void {
    const pattern = this.pattern;
    if (pattern === null) return;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      const literal = m[0].toLowerCase();
      const targets = this.byLiteral.get(literal);
      if (targets) hit(targets, m.index, literal);
      pattern.lastIndex = m.index + 1;
    }
  }
}
