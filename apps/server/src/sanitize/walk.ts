// The one traversal behind event and audit sanitising, so both shape non-JSON values identically.
import { REDACTED } from "./secrets.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export const TRUNCATED = "[truncated]";
export const CIRCULAR = "[circular]";
// Stands in for a value whose getter, proxy trap or toJSON threw: the walker must never throw.
export const UNSERIALIZABLE = "[unserializable]";
export const OVERFLOW_KEY = "…";

export interface WalkPolicy {
  /** Containers deeper than this become TRUNCATED; the top-level value is depth 1. */
  readonly maxDepth: number;
  /** Arrays and objects keep at most this many entries; omit for no limit. */
  readonly maxEntries?: number;
  /** Keys whose value is replaced by REDACTED whatever its type. */
  readonly redactKey: (key: string) => boolean;
  /** Applied to every string produced, including keys' values, bigints and dates. */
  readonly transformString: (text: string) => string;
}

export const itemsOverflowMarker = (count: number): string => `…[truncated ${count} items]`;
export const keysOverflowMarker = (count: number): string => `[truncated ${count} keys]`;
const ITEMS_MARKER_RE = /^…\[truncated \d{1,16} items\]$/;
const KEYS_MARKER_RE = /^\[truncated \d{1,16} keys\]$/;

// JSON omits these from objects (and turns them into null inside arrays).
const OMIT: unique symbol = Symbol("omit");
type Visited = JsonValue | typeof OMIT;

/** Returns undefined only when the top-level value itself is one JSON would omit (undefined, function, symbol). */
export function walkJson(value: unknown, policy: WalkPolicy): JsonValue | undefined {
  try {
    const out = visit(value, 1, policy, new Set(), true);
    return out === OMIT ? undefined : out;
  } catch {
    return UNSERIALIZABLE;
  }
}

function visit(
  value: unknown,
  depth: number,
  policy: WalkPolicy,
  ancestors: Set<object>,
  allowToJson: boolean,
): Visited {
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

function visitObject(
  value: object,
  depth: number,
  policy: WalkPolicy,
  ancestors: Set<object>,
  allowToJson: boolean,
): Visited {
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

  const toJson: unknown = allowToJson ? (value as { toJSON?: unknown }).toJSON : undefined;
  if (typeof toJson === "function") {
    // Like JSON.stringify: call toJSON once, then serialise what it returned without calling it again.
    const replaced: unknown = toJson.call(value, "");
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

function visitReplacement(
  original: object,
  replaced: unknown,
  depth: number,
  policy: WalkPolicy,
  ancestors: Set<object>,
): Visited {
  ancestors.add(original);
  try {
    return visit(replaced, depth, policy, ancestors, false);
  } finally {
    ancestors.delete(original);
  }
}

// Entries are read in full (not just the first maxEntries) because omitted values must not count.
function readEntries(value: object): [string, unknown][] {
  if (value instanceof Map) {
    return [...value].map(([key, entry]): [string, unknown] => [String(key), entry]);
  }
  const entries: [string, unknown][] = [];
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

function readProperty(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return UNSERIALIZABLE;
  }
}

function listLimit(length: number, policy: WalkPolicy): number {
  return policy.maxEntries === undefined ? length : Math.min(length, policy.maxEntries + 1);
}

function takeFirst<T>(values: Iterable<T>, count: number): T[] {
  const out: T[] = [];
  if (count <= 0) return out;
  for (const item of values) {
    out.push(item);
    if (out.length >= count) break;
  }
  return out;
}

function visitList(
  length: number,
  itemAt: (index: number) => unknown,
  depth: number,
  policy: WalkPolicy,
  ancestors: Set<object>,
): JsonValue[] {
  const max = policy.maxEntries;
  // A list this walker already cut ends with its marker; keeping it whole is what makes a second pass a no-op.
  const alreadyCut = max !== undefined && length === max + 1 && isItemsMarker(safeItem(itemAt, max));
  const keep = max === undefined || alreadyCut ? length : Math.min(length, max);
  const out: JsonValue[] = [];
  for (let index = 0; index < keep; index++) {
    const item = visit(safeItem(itemAt, index), depth + 1, policy, ancestors, true);
    out.push(item === OMIT ? null : item);
  }
  if (keep < length) out.push(policy.transformString(itemsOverflowMarker(length - keep)));
  return out;
}

function safeItem(itemAt: (index: number) => unknown, index: number): unknown {
  try {
    return itemAt(index);
  } catch {
    return UNSERIALIZABLE;
  }
}

function isItemsMarker(value: unknown): boolean {
  return typeof value === "string" && ITEMS_MARKER_RE.test(value);
}

function visitEntries(
  entries: readonly [string, unknown][],
  depth: number,
  policy: WalkPolicy,
  ancestors: Set<object>,
): { [key: string]: JsonValue } {
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

  const out: { [key: string]: JsonValue } = {};
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

function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

// Plain assignment of "__proto__" would replace the prototype instead of creating the key JSON.parse made.
function setOwn(target: { [key: string]: JsonValue }, key: string, value: JsonValue): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
