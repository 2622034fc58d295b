// Shapes run-event payloads and messages for storage and streaming: secrets out, size bounded, JSON-safe.
import { compileKnownSecrets, isSecretKey, REDACTED, redactSecretValues } from "./secrets.js";
import { UNSERIALIZABLE, walkJson } from "./walk.js";

export const MAX_STRING = 2000;
export const MAX_ENTRIES = 25;
export const MAX_DEPTH = 3;
export const MAX_PAYLOAD_JSON = 20000;

export interface SanitizeOptions {
  /** Literal secret values (e.g. the run's injected env values) to hide wherever they appear. */
  readonly knownSecrets?: readonly string[];
}

export interface TruncatedPayload {
  truncated: true;
  payloadPreview: string;
}

const truncationSuffix = (removed: number): string => `…[truncated ${removed} chars]`;
const SUFFIX_START = "…[truncated ";
const SUFFIX_RE = /^…\[truncated \d{1,16} chars\]$/;

// Backs off one unit rather than split a surrogate pair, which would leave invalid UTF-16 in stored JSON;
// the reported count then includes that unit.
function cutIndex(text: string, max: number): number {
  const before = text.charCodeAt(max - 1);
  const after = text.charCodeAt(max);
  const splitsPair = before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
  return splitsPair ? max - 1 : max;
}

// A cut can leave the start of a secret that the shorter text no longer recognises as one (most patterns need
// a minimum length), or turn a near miss into a match. The cut prefix is redacted again, and cut again, until
// it is a fixpoint; a prefix that never settles is replaced whole. So the stored prefix is what a second pass
// leaves unchanged, and no part of a secret survives at the cut.
const MAX_CUT_ROUNDS = 4;

// How far back from the limit a cut may move to land just after whitespace.
const WHITESPACE_CUT_WINDOW = 200;
const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13;

/**
 * Where to cut already-redacted text of more than `max` chars: just after the last whitespace within
 * WHITESPACE_CUT_WINDOW of the limit, or -1 when there is none. Such a prefix needs no second pass: every
 * detector's match is a run that ends before whitespace or looks one char past its end, so a match in the
 * prefix that ends before its final whitespace char is a match of the whole text, which was a fixpoint; and no
 * detector's match ends in whitespace (a scheme word cut off from its credential is the one case that did, and
 * keyvalue.ts skips it). Tested at every cut position over the corpus in corpus.test.ts.
 */
function whitespaceCut(text: string, max: number): number {
  const floor = Math.max(1, max - WHITESPACE_CUT_WINDOW);
  for (let end = max; end >= floor; end--) if (isSpace(text.charCodeAt(end - 1))) return end;
  return -1;
}

function stablePrefix(text: string, max: number, redact: (text: string) => string): string {
  const atSpace = whitespaceCut(text, max);
  if (atSpace > 0) return text.slice(0, atSpace);
  let body = text;
  for (let round = 0; round < MAX_CUT_ROUNDS; round++) {
    const cut = body.length > max ? body.slice(0, cutIndex(body, max)) : body;
    const again = redact(cut);
    if (again === cut) return cut;
    body = again;
  }
  return REDACTED;
}

interface TextSanitizers {
  readonly redact: (text: string) => string;
  readonly sanitize: (text: string) => string;
}

function makeTextSanitizers(opts: SanitizeOptions | undefined): TextSanitizers {
  const redactKnown = compileKnownSecrets(opts?.knownSecrets ?? []);
  const redact = (text: string): string => redactSecretValues(redactKnown(text));
  const sanitize = (text: string): string => {
    // Text this function already cut keeps its suffix; only the body is re-checked, so a second pass is a
    // no-op instead of cutting the suffix and stacking another one.
    const suffixAt = text.lastIndexOf(SUFFIX_START);
    if (suffixAt >= 0 && SUFFIX_RE.test(text.slice(suffixAt))) {
      const body = redact(text.slice(0, suffixAt));
      if (body.length <= MAX_STRING) return body + text.slice(suffixAt);
    }
    const redacted = redact(text);
    if (redacted.length <= MAX_STRING) return redacted;
    const body = stablePrefix(redacted, MAX_STRING, redact);
    return body + truncationSuffix(redacted.length - body.length);
  };
  return { redact, sanitize };
}

export function sanitizeEventText(text: string, opts?: SanitizeOptions): string {
  try {
    return makeTextSanitizers(opts).sanitize(typeof text === "string" ? text : String(text));
  } catch {
    return UNSERIALIZABLE;
  }
}

export function sanitizeEventPayload(value: unknown, opts?: SanitizeOptions): unknown {
  try {
    const { redact, sanitize } = makeTextSanitizers(opts);
    const shaped = walkJson(value, {
      maxDepth: MAX_DEPTH,
      maxEntries: MAX_ENTRIES,
      redactKey: isSecretKey,
      transformString: sanitize,
    });
    if (shaped === undefined) return undefined;
    const json = JSON.stringify(shaped);
    if (json.length <= MAX_PAYLOAD_JSON) return shaped;
    // The JSON text also holds object keys, which are never value-redacted above, so it is redacted once
    // more before the cut; the cut prefix is a fixpoint, so the preview is stable on re-runs.
    const preview = redact(json);
    const payload: TruncatedPayload = {
      truncated: true,
      payloadPreview: stablePrefix(preview, MAX_STRING, redact),
    };
    return payload;
  } catch {
    return UNSERIALIZABLE;
  }
}
