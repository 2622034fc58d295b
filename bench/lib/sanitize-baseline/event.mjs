// Frozen copy of the run-event sanitiser as it was before secretlint rules (compiled from apps/server/src/sanitize
// at commit 99d5c92). bench/engine.mjs measures the current sanitiser against it in the same run; never edit.
// Shapes run-event payloads and messages for storage and streaming: secrets out, size bounded, JSON-safe.
import { compileKnownSecrets, isSecretKey, redactSecretValues } from "./secrets.mjs";
import { UNSERIALIZABLE, walkJson } from "./walk.mjs";
export const MAX_STRING = 2000;
export const MAX_ENTRIES = 25;
export const MAX_DEPTH = 3;
export const MAX_PAYLOAD_JSON = 20000;
const truncationSuffix = (removed) => `…[truncated ${removed} chars]`;
const SUFFIX_START = "…[truncated ";
const SUFFIX_RE = /^…\[truncated \d{1,16} chars\]$/;
// Backs off one unit rather than split a surrogate pair, which would leave invalid UTF-16 in stored JSON;
// the reported count then includes that unit.
function cutIndex(text, max) {
  const before = text.charCodeAt(max - 1);
  const after = text.charCodeAt(max);
  const splitsPair = before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
  return splitsPair ? max - 1 : max;
}
function makeTextSanitizers(opts) {
  const redactKnown = compileKnownSecrets(opts?.knownSecrets ?? []);
  const redact = (text) => redactSecretValues(redactKnown(text));
  const sanitize = (text) => {
    // Text this function already cut keeps its suffix; only the body is re-checked, so a second pass is a
    // no-op instead of cutting the suffix and stacking another one.
    const suffixAt = text.lastIndexOf(SUFFIX_START);
    if (suffixAt >= 0 && SUFFIX_RE.test(text.slice(suffixAt))) {
      const body = redact(text.slice(0, suffixAt));
      if (body.length <= MAX_STRING) return body + text.slice(suffixAt);
    }
    const redacted = redact(text);
    if (redacted.length <= MAX_STRING) return redacted;
    const end = cutIndex(redacted, MAX_STRING);
    return redacted.slice(0, end) + truncationSuffix(redacted.length - end);
  };
  return { redact, sanitize };
}
export function sanitizeEventText(text, opts) {
  try {
    return makeTextSanitizers(opts).sanitize(typeof text === "string" ? text : String(text));
  } catch {
    return UNSERIALIZABLE;
  }
}
export function sanitizeEventPayload(value, opts) {
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
    // more before the cut. Redacted text has no match left in any prefix, so the preview is stable on re-runs.
    const preview = redact(json);
    const payload = {
      truncated: true,
      payloadPreview: preview.slice(0, cutIndex(preview, MAX_STRING)),
    };
    return payload;
  } catch {
    return UNSERIALIZABLE;
  }
}
