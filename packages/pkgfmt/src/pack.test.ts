// pack → inspect → extract round trip (same files, same hashes), and pack's determinism and refusals.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { verify } from "./archive.js";
import { isPackageError } from "./errors.js";
import { extract } from "./extract.js";
import { pack } from "./pack.js";
import { inspect } from "./package.js";
import { listTree, SKILL_MANIFEST, sandbox } from "./test-support/fixtures.js";

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(64, 7),
]);
const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** A skill folder with nested folders, an image, an SVG and a non-ASCII name. */
function writeSkill(dir: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {
    "mog.yaml": Buffer.from(SKILL_MANIFEST),
    "README.md": Buffer.from("# Code review\n"),
    "SKILL.md": Buffer.from("Review the diff.\n"),
    "docs/checklist.md": Buffer.from("- tests\n- names\n"),
    "docs/deep/config.json": Buffer.from('{"strict": true}\n'),
    "assets/logo.png": PNG,
    "assets/icon.svg": Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>\n'),
    "docs/résumé.md": Buffer.from("accents\n"),
  };
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
  return files;
}

describe("pack → inspect → extract", () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it("extracts exactly the packed files, with the hashes inspect reported", async () => {
    const box = sandbox();
    cleanup = box.cleanup;
    const src = join(box.root, "src");
    const files = writeSkill(src);

    const { archive, info } = await pack(src);
    expect(info.archiveSha256).toBe(sha256(archive));
    const expected = Object.entries(files)
      .map(([path, data]) => ({ path, size: data.length, sha256: sha256(data) }))
      .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    expect(info.files).toEqual(expected);

    const inspected = await inspect(archive);
    expect(inspected).toEqual(info);

    const verified = await verify(archive, info.archiveSha256);
    const result = await extract(verified.bytes, box.dest, { expectedSha256: info.archiveSha256 });
    expect(result.dest).toBe(box.dest);
    expect(result.files).toEqual(info.files);
    for (const [path, data] of Object.entries(files))
      expect(readFileSync(join(box.dest, path))).toEqual(data);
    expect(listTree(box.dest).filter((l) => l.startsWith("f ")).length).toBe(Object.keys(files).length);
    // Nothing but the package appeared next to it (the temp folder was renamed away).
    expect(listTree(box.base)).toEqual(
      ["d pkg", ...listTree(box.dest).map((l) => l.replace(" ", " pkg/"))].sort(),
    );
  });

  it("is deterministic: same bytes whatever the mtimes and creation order", async () => {
    const box = sandbox();
    cleanup = box.cleanup;
    const a = join(box.root, "a");
    const b = join(box.root, "b");
    writeSkill(a);
    // Same files created in the reverse order, with other timestamps.
    const files = Object.entries(writeSkill(join(box.root, "scratch"))).reverse();
    for (const [path, data] of files) {
      mkdirSync(join(b, path, ".."), { recursive: true });
      writeFileSync(join(b, path), data);
      utimesSync(join(b, path), new Date(2001, 1, 1), new Date(2001, 1, 1));
    }
    const first = await pack(a);
    expect((await pack(b)).archive.equals(first.archive)).toBe(true);
    expect((await pack(a)).archive.equals(first.archive)).toBe(true);
  });

  it("leaves .git out and refuses symlinks, a missing mog.yaml and an invalid manifest", async () => {
    const box = sandbox();
    cleanup = box.cleanup;
    const src = join(box.root, "src");
    writeSkill(src);
    mkdirSync(join(src, ".git"));
    writeFileSync(join(src, ".git", "HEAD"), "ref: refs/heads/main\n");
    expect((await pack(src)).info.files.some((f) => f.path.startsWith(".git"))).toBe(false);

    symlinkSync("/etc/passwd", join(src, "docs", "passwd.md"));
    await expect(pack(src)).rejects.toThrow("Symlink refused: docs/passwd.md");

    const empty = join(box.root, "empty");
    mkdirSync(empty);
    writeFileSync(join(empty, "README.md"), "x");
    await expect(pack(empty)).rejects.toThrow("mog.yaml not found at the top of the folder");

    const bad = join(box.root, "bad");
    writeSkill(bad);
    writeFileSync(join(bad, "mog.yaml"), SKILL_MANIFEST.replace("type: skill", "type: plugin"));
    const err = await pack(bad).catch((e: unknown) => e);
    expect(isPackageError(err, "MANIFEST_INVALID")).toBe(true);
  });

  it("refuses files the type does not allow before writing an archive", async () => {
    const box = sandbox();
    cleanup = box.cleanup;
    const src = join(box.root, "src");
    writeSkill(src);
    writeFileSync(join(src, "install.sh"), "#!/bin/sh\n");
    await expect(pack(src)).rejects.toThrow(
      "A skill package may only hold .md .yaml .yml .json .txt .svg .png .jpg files: install.sh",
    );
  });
});
