// `mog init` writes a package pkgfmt accepts as it is, for every type, and never overwrites a manifest.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_TYPES, pack } from "@mogplex/pkgfmt";
import { afterEach, describe, expect, it } from "vitest";
import { type Box, box, mog } from "./test-support/mog.js";

let b: Box;
afterEach(() => b?.cleanup());

describe("mog init", () => {
  it.each(PACKAGE_TYPES)("scaffolds a %s package that packs cleanly", async (type) => {
    b = box([]);
    const dir = join(b.root, "My Thing");
    const r = await mog(b.env, "init", dir, "--type", type, "--json");
    expect(r.code, JSON.stringify(r)).toBe(0);
    expect(r.envelope.data).toMatchObject({ name: "my-vendor/my-thing", type });
    const { info } = await pack(dir);
    expect(info.manifest).toMatchObject({ name: "my-vendor/my-thing", type, version: "0.1.0" });
  });

  it("refuses a bad name before writing, and an existing mog.yaml", async () => {
    b = box([]);
    const bad = await mog(b.env, "init", b.project, "--name", "Bad Name", "--json");
    expect(bad.code).toBe(1);
    expect(bad.envelope.error?.message).toContain("name");
    const ok = await mog(b.env, "init", b.project, "--name", "acme/thing");
    expect(ok.code).toBe(0);
    const again = await mog(b.env, "init", b.project, "--name", "acme/other", "--json");
    expect(again.envelope.error?.message).toContain("already exists");
    expect(readFileSync(join(b.project, "mog.yaml"), "utf8")).toContain("acme/thing");
  });
});
