// pkgfmt's zip-slip corpus through `mog install ./x.zip`: every hostile archive is refused with its message,
// exit 1, and nothing appears anywhere, neither outside --dir nor inside it.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { absoluteTarget, CASES } from "../../../../packages/pkgfmt/src/test-support/zip-slip-corpus.js";
import { box, listTree, mog } from "./test-support/mog.js";

const b = box([".claude"]);
afterAll(() => b.cleanup());

describe("mog install ./x.zip refuses the zip-slip corpus", () => {
  it.each(CASES.map((c, i) => ({ ...c, i })))("$title → $code", async ({ archive, code, message, i }) => {
    const file = join(b.root, `case-${i}.zip`);
    writeFileSync(file, await archive());
    const before = listTree(b.root);
    const r = await mog(b.env, "install", file, "--dir", b.project, "--json");
    expect(r.code).toBe(1);
    expect(r.envelope).toMatchObject({ ok: false, command: "install", error: { code } });
    if (typeof message === "string") expect(r.envelope.error?.message).toBe(message);
    else expect(r.envelope.error?.message).toMatch(message);
    if (code === "PATH_TRAVERSAL") expect(r.envelope.error?.message).toContain("Path traversal detected");
    expect(listTree(b.root)).toEqual(before);
    expect(existsSync(join(b.project, "mog.lock.json"))).toBe(false);
    expect(existsSync(absoluteTarget)).toBe(false);
  });
});
