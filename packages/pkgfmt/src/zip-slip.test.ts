// The zip-slip corpus: every hostile archive is refused with its exact message by extract and inspect,
// nothing appears anywhere around the destination, and the destination itself is never created.
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { isPackageError } from "./errors.js";
import { extract } from "./extract.js";
import { inspect } from "./package.js";
import { listTree, SKILL_FILES, sandbox, skillEntries, yazlZip } from "./test-support/fixtures.js";
import { rawZip } from "./test-support/raw-zip.js";
import { absoluteTarget, CASES } from "./test-support/zip-slip-corpus.js";

describe("zip-slip corpus: refused by extract, nothing written anywhere", () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it.each(CASES)("$title → $code", async ({ archive, code, message }) => {
    const box = sandbox();
    cleanup = box.cleanup;
    const bytes = await archive();
    const before = listTree(box.root);

    const err = await extract(bytes, box.dest).catch((e: unknown) => e);
    expect(isPackageError(err, code), String(err)).toBe(true);
    if (typeof message === "string") expect((err as Error).message).toBe(message);
    else expect((err as Error).message).toMatch(message);

    // Nothing appeared or vanished around the destination, no temp folder stayed, no destination.
    expect(listTree(box.root)).toEqual(before);
    expect(existsSync(box.dest)).toBe(false);
    expect(existsSync(absoluteTarget)).toBe(false);

    // The scanner's side (inspect) refuses the same archive the same way.
    const seen = await inspect(bytes).catch((e: unknown) => e);
    expect(isPackageError(seen, code)).toBe(true);
    expect((seen as Error).message).toBe((err as Error).message);
  });

  it("the base archive of the corpus is itself valid (so each refusal is due to its bad entry)", async () => {
    const box = sandbox();
    cleanup = box.cleanup;
    for (const bytes of [rawZip(skillEntries()), await yazlZip(SKILL_FILES)]) {
      const info = await inspect(bytes);
      expect(info.files.map((f) => f.path).sort()).toEqual(["README.md", "SKILL.md", "mog.yaml"]);
    }
    await extract(rawZip(skillEntries()), box.dest);
    expect(listTree(box.dest)).toEqual(["f README.md", "f SKILL.md", "f mog.yaml"]);
  });
});
