// Frozen copy of the run-event sanitiser as it was before secretlint rules (compiled from apps/server/src/sanitize
// at commit 99d5c92). bench/engine.mjs measures the current sanitiser against it in the same run; never edit.
// The one traversal behind event and audit sanitising, so both shape non-JSON values identically.
import { REDACTED } from "./secrets.mjs";
export const TRUNCATED = "[truncated]";
export const CIRCULAR = "[circular]";
// Stands in for a value whose getter, proxy trap or toJSON threw: the walker must never throw.
export const UNSERIALIZABLE = "[unserializable]";
export const OVERFLOW_KEY = "…";
export const itemsOverflowMarker = (count) => `…[truncated ${count} items]`;
export const keysOverflowMarker = (count) => `[truncated ${count} keys]`;
const ITEMS_MARKER_RE = /^…\[truncated \d{1,16} items\]$/;
const KEYS_MARKER_RE = /^\[truncated \d{1,16} keys\]$/;
// JSON omits these from objects (and turns them into null inside arrays).
const OMIT = Symbol("omit");
/** Returns undefined only when the top-level value itself is one JSON would omit (undefined, function, symbol). */
export function walkJson(value, policy) {
  try {
    const out = visit(value, 1, policy, new Set(), true);
    return out === OMIT ? undefined : out;
  } catch {
    return UNSERIALIZABLE;
  }
}
function visit(value, depth, policy, ancestors, allowToJson) {
  switch (typeof value) {
    case "string":
      return policy.transformString(value);
    case "number":
      // Normalise -0 too, so a second pass compares equal under Object.is.
      return Number.isFinite(value) ? value + 0 : null;
    case "boolean":
      return value;
    case "bigint":
      return policy.transformString(value.toString());
    case "object":
      if (value === null) return null;
      try {
        return visitObject(value, depth, policy, ancestors, allowToJson);
      } catch {
        return UNSERIALIZABLE;
      }
    default:
      return OMIT;
  }
}
function visitObject(value, depth, policy, ancestors, allowToJson) {
  if (ancestors.has(value)) return CIRCULAR;
  // These become scalars, and scalars are never cut for depth.
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? null : policy.transformString(value.toISOString());
  }
  if (
    value instanceof String ||
    value instanceof Number ||
    value instanceof Boolean ||
    value instanceof BigInt
  ) {
    return visit(value.valueOf(), depth, policy, ancestors, false);
  }
  const toJson = allowToJson ? value.toJSON : undefined;
  if (typeof toJson === "function") {
    // Like JSON.stringify: call toJSON once, then serialise what it returned without calling it again.
    const replaced = toJson.call(value, "");
    if (replaced !== value) return visitReplacement(value, replaced, depth, policy, ancestors);
  }
  if (depth > policy.maxDepth) return TRUNCATED;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return visitList(value.length, (index) => value[index], depth, policy, ancestors);
    }
    if (value instanceof Set) {
      const head = takeFirst(value.values(), listLimit(value.size, policy));
      return visitList(value.size, (index) => head[index], depth, policy, ancestors);
    }
    return visitEntries(readEntries(value), depth, policy, ancestors);
  } finally {
    ancestors.delete(value);
  }
}
function visitReplacement(original, replaced, depth, policy, ancestors) {
  ancestors.add(original);
  try {
    return visit(replaced, depth, policy, ancestors, false);
  } finally {
    ancestors.delete(original);
  }
}
// Entries are read in full (not just the first maxEntries) because omitted values must not count.
function readEntries(value) {
  if (value instanceof Map) {
    return [...value].map(([key, entry]) => [String(key), entry]);
  }
  const entries = [];
  if (value instanceof Error) {
    // name and message are not enumerable, yet they are what makes an error worth logging; stack is left out
    // because it exposes file paths.
    entries.push(["name", readProperty(value, "name")], ["message", readProperty(value, "message")]);
  }
  for (const key of Object.keys(value)) {
    if (value instanceof Error && (key === "name" || key === "message")) continue;
    entries.push([key, readProperty(value, key)]);
  }
  return entries;
}
function readProperty(value, key) {
  try {
    return value[key];
  } catch {
    return UNSERIALIZABLE;
  }
}
function listLimit(length, policy) {
  return policy.maxEntries === undefined ? length : Math.min(length, policy.maxEntries + 1);
}
function takeFirst(values, count) {
  const out = [];
  if (count <= 0) return out;
  for (const item of values) {
    out.push(item);
    if (out.length >= count) break;
  }
  return out;
}
function visitList(length, itemAt, depth, policy, ancestors) {
  const max = policy.maxEntries;
  // A list this walker already cut ends with its marker; keeping it whole is what makes a second pass a no-op.
  const alreadyCut = max !== undefined && length === max + 1 && isItemsMarker(safeItem(itemAt, max));
  const keep = max === undefined || alreadyCut ? length : Math.min(length, max);
  const out = [];
  for (let index = 0; index < keep; index++) {
    const item = visit(safeItem(itemAt, index), depth + 1, policy, ancestors, true);
    out.push(item === OMIT ? null : item);
  }
  if (keep < length) out.push(policy.transformString(itemsOverflowMarker(length - keep)));
  return out;
}
function safeItem(itemAt, index) {
  try {
    return itemAt(index);
  } catch {
    return UNSERIALIZABLE;
  }
}
function isItemsMarker(value) {
  return typeof value === "string" && ITEMS_MARKER_RE.test(value);
}
function visitEntries(entries, depth, policy, ancestors) {
  const present = entries.filter(([, entry]) => !isOmitted(entry));
  const max = policy.maxEntries;
  const last = present[present.length - 1];
  const alreadyCut =
    max !== undefined &&
    present.length === max + 1 &&
    last !== undefined &&
    last[0] === OVERFLOW_KEY &&
    typeof last[1] === "string" &&
    KEYS_MARKER_RE.test(last[1]);
  const keep = max === undefined || alreadyCut ? present.length : Math.min(present.length, max);
  const out = {};
  for (let index = 0; index < keep; index++) {
    const pair = present[index];
    if (pair === undefined) continue;
    const [key, entry] = pair;
    if (policy.redactKey(key)) {
      setOwn(out, key, REDACTED);
      continue;
    }
    const visited = visit(entry, depth + 1, policy, ancestors, true);
    // toJSON may still produce an omitted value; JSON drops the key then, and so do we.
    if (visited !== OMIT) setOwn(out, key, visited);
  }
  if (keep < present.length) setOwn(out, OVERFLOW_KEY, keysOverflowMarker(present.length - keep));
  return out;
}
function isOmitted(value) {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}
// Plain assignment of "__proto__" would replace the prototype instead of creating the key JSON.parse made.
function setOwn(target, key, value) {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
