// Tests for the shared walker under policies other than the event and audit ones.
import { describe, expect, it } from "vitest";
import {
  CIRCULAR,
  itemsOverflowMarker,
  keysOverflowMarker,
  OVERFLOW_KEY,
  TRUNCATED,
  walkJson,
} from "./walk.js";

const upper = (text: string): string => text.toUpperCase();

describe("walkJson", () => {
  it("sends every produced string, including bigints and dates, through transformString", () => {
    const out = walkJson(
      { s: "abc", n: 5n, d: new Date(0), list: ["x"], keep: 1 },
      { maxDepth: 5, redactKey: () => false, transformString: upper },
    );
    expect(out).toEqual({
      s: "ABC",
      n: "5",
      d: "1970-01-01T00:00:00.000Z".toUpperCase(),
      list: ["X"],
      keep: 1,
    });
  });

  it("asks redactKey about object keys only, never array items or string contents", () => {
    const seen: string[] = [];
    walkJson(
      { a: ["b"], c: { d: "e" } },
      {
        maxDepth: 5,
        redactKey: (key) => {
          seen.push(key);
          return false;
        },
        transformString: (text) => text,
      },
    );
    expect(seen.sort()).toEqual(["a", "c", "d"]);
  });

  it("leaves entries unlimited when maxEntries is omitted", () => {
    const list = Array.from({ length: 500 }, (_, index) => index);
    expect(walkJson(list, { maxDepth: 2, redactKey: () => false, transformString: upper })).toEqual(list);
  });

  it("honours a custom depth limit, counting the top level as 1", () => {
    const policy = { maxDepth: 1, redactKey: () => false, transformString: upper };
    expect(walkJson({ a: { b: 1 }, c: "x" }, policy)).toEqual({ a: TRUNCATED, c: "X" });
    expect(walkJson("top", { ...policy, maxDepth: 0 })).toBe("TOP");
    expect(walkJson({}, { ...policy, maxDepth: 0 })).toBe(TRUNCATED);
  });

  it("treats a list or object it already cut as complete", () => {
    const policy = { maxDepth: 3, maxEntries: 2, redactKey: () => false, transformString: (t: string) => t };
    const cutList = [1, 2, itemsOverflowMarker(9)];
    expect(walkJson(cutList, policy)).toEqual(cutList);
    const cutObject = { a: 1, b: 2, [OVERFLOW_KEY]: keysOverflowMarker(4) };
    expect(walkJson(cutObject, policy)).toEqual(cutObject);
    expect(walkJson([1, 2, "not a marker"], policy)).toEqual([1, 2, itemsOverflowMarker(1)]);
    expect(walkJson({ a: 1, b: 2, [OVERFLOW_KEY]: "nope" }, policy)).toEqual({
      a: 1,
      b: 2,
      [OVERFLOW_KEY]: keysOverflowMarker(1),
    });
  });

  it("marks a value reached again through its own descendants", () => {
    const a: Record<string, unknown> = {};
    const b: Record<string, unknown> = { a };
    a.b = b;
    expect(walkJson(a, { maxDepth: 9, redactKey: () => false, transformString: upper })).toEqual({
      b: { a: CIRCULAR },
    });
  });
});
