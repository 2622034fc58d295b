// `mog install ./x.zip`, uninstall and list through the real program: target detection, install paths, the
// lockfile, verification failures (nothing written) and the lockfile-write rollback.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Box, box, listTree, mog, SKILL_FILES, SKILL_MANIFEST, yazlZip } from "./test-support/mog.js";

let b: Box;
afterEach(() => b?.cleanup());

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

async function archiveFile(
  dir: string,
  files = SKILL_FILES,
  name = "pkg.zip",
): Promise<{ path: string; bytes: Buffer }> {
  const bytes = await yazlZip(files);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

const ruleFiles = (version: string) => [
  {
    name: "mog.yaml",
    data: `name: acme/style\nversion: ${version}\ntype: rule\ndescription: House style\ntargets: [cursor, claude-code]\n`,
  },
  { name: "README.md", data: "# Style\n" },
  { name: "rules/style.md", data: `Use tabs (${version}).\n` },
];

describe("mog install ./archive.zip", () => {
  it("installs into the detected target's install_map folder and records it in mog.lock.json", async () => {
    b = box([".claude"]);
    const { path, bytes } = await archiveFile(b.root);
    const r = await mog(b.env, "install", path, "--dir", b.project, "--sha256", sha(bytes), "--json");
    expect(r.code, JSON.stringify(r)).toBe(0);
    expect(r.envelope).toMatchObject({
      ok: true,
      command: "install",
      data: { name: "acme/code-review", target: "claude-code" },
    });
    expect(readFileSync(join(b.project, ".claude/skills/code-review/SKILL.md"), "utf8")).toBe(
      "Review the diff.\n",
    );
    const lock = JSON.parse(readFileSync(join(b.project, "mog.lock.json"), "utf8"));
    expect(lock.lockfileVersion).toBe(1);
    const entry = lock.packages["acme/code-review"];
    expect(entry).toMatchObject({
      version: "1.2.3",
      sha256: sha(bytes),
      type: "skill",
      target: "claude-code",
      installPath: ".claude/skills/code-review",
      entitlementId: null,
      source: "file",
    });
    expect(Date.parse(entry.installedAt)).not.toBeNaN();
    expect(entry.files).toEqual({
      "mog.yaml": sha(Buffer.from(SKILL_MANIFEST)),
      "README.md": sha(Buffer.from("# Code review\n")),
      "SKILL.md": sha(Buffer.from("Review the diff.\n")),
    });
    // No temp folders left beside the install.
    expect(listTree(join(b.project, ".claude"))).toEqual([
      "d skills",
      "d skills/code-review",
      "f skills/code-review/README.md",
      "f skills/code-review/SKILL.md",
      "f skills/code-review/mog.yaml",
    ]);

    const list = await mog(b.env, "list", "--dir", b.project, "--json");
    expect(list.envelope.data.packages.map((p: { name: string }) => p.name)).toEqual(["acme/code-review"]);
    const un = await mog(b.env, "uninstall", "acme/code-review", "--dir", b.project, "--json");
    expect(un.code).toBe(0);
    expect(existsSync(join(b.project, ".claude/skills/code-review"))).toBe(false);
    expect(JSON.parse(readFileSync(join(b.project, "mog.lock.json"), "utf8")).packages).toEqual({});
  });

  it("uses the target's default folder without install_map, keeping the package's layout", async () => {
    b = box([".cursor"]);
    const { path } = await archiveFile(b.root, ruleFiles("1.0.0"));
    const r = await mog(b.env, "install", path, "--dir", b.project);
    expect(r.code, r.stderr.join("\n")).toBe(0);
    expect(r.stderr.join("\n")).toContain("no --sha256");
    expect(readFileSync(join(b.project, ".cursor/rules/style/rules/style.md"), "utf8")).toBe(
      "Use tabs (1.0.0).\n",
    );
  });

  it("without a marker folder and --target: an error naming the folders it looked for, nothing written", async () => {
    b = box([]);
    const { path } = await archiveFile(b.root);
    const before = listTree(b.root);
    const r = await mog(b.env, "install", path, "--dir", b.project, "--json");
    expect(r.code).toBe(1);
    expect(r.envelope.error?.code).toBe("NO_TARGET");
    for (const m of [".claude/", ".cursor/", ".codex/", ".gemini/", ".windsurf/"])
      expect(r.envelope.error?.message).toContain(m);
    expect(listTree(b.root)).toEqual(before);
    // --target works without a marker folder.
    const ok = await mog(b.env, "install", path, "--dir", b.project, "--target", "cursor", "--json");
    expect(ok.envelope.data.installPath).toBe(".cursor/skills/code-review");
  });

  it("two supported markers need --target; an unsupported --target is refused", async () => {
    b = box([".claude", ".cursor"]);
    const { path } = await archiveFile(b.root);
    const r = await mog(b.env, "install", path, "--dir", b.project, "--json");
    expect(r.envelope.error?.code).toBe("TARGET_AMBIGUOUS");
    const bad = await mog(b.env, "install", path, "--dir", b.project, "--target", "codex", "--json");
    expect(bad.envelope.error?.code).toBe("TARGET_UNSUPPORTED");
    expect(existsSync(join(b.project, "mog.lock.json"))).toBe(false);
  });

  it("--sha256 mismatch: an integrity error, exit 1, nothing written", async () => {
    b = box([".claude"]);
    const { path } = await archiveFile(b.root);
    const before = listTree(b.root);
    const r = await mog(b.env, "install", path, "--dir", b.project, "--sha256", "0".repeat(64), "--json");
    expect(r.code).toBe(1);
    expect(r.envelope.error?.code).toBe("INTEGRITY_MISMATCH");
    expect(r.envelope.error?.message).toContain("integrity");
    expect(listTree(b.root)).toEqual(before);
  });

  it("lockfile path is a folder: the installed files are removed, the previous install stands, exit 1", async () => {
    b = box([".cursor"]);
    const v1 = await archiveFile(b.root, ruleFiles("1.0.0"), "v1.zip");
    expect((await mog(b.env, "install", v1.path, "--dir", b.project)).code).toBe(0);
    const lockText = readFileSync(join(b.project, "mog.lock.json"), "utf8");
    const v2 = await archiveFile(b.root, ruleFiles("2.0.0"), "v2.zip");

    // A lockfile that cannot be replaced: mog.lock.json is now a (non-empty) folder.
    const saved = join(b.root, "lock-backup.json");
    writeFileSync(saved, lockText);
    const { rmSync } = await import("node:fs");
    rmSync(join(b.project, "mog.lock.json"));
    mkdirSync(join(b.project, "mog.lock.json"));
    writeFileSync(join(b.project, "mog.lock.json", "x"), "");
    const before = listTree(b.root);
    const r = await mog(b.env, "install", v2.path, "--dir", b.project, "--json");
    expect(r.code).toBe(1);
    expect(r.envelope.error?.code).toMatch(/LOCKFILE/);
    expect(listTree(b.root)).toEqual(before);
    expect(readFileSync(join(b.project, ".cursor/rules/style/rules/style.md"), "utf8")).toBe(
      "Use tabs (1.0.0).\n",
    );

    // First install into an empty project with the lock path a folder: nothing of the package remains.
    rmSync(join(b.project, ".cursor/rules"), { recursive: true });
    const before2 = listTree(b.root);
    const r2 = await mog(b.env, "install", v2.path, "--dir", b.project, "--target", "cursor", "--json");
    expect(r2.code).toBe(1);
    expect(listTree(b.root)).toEqual(before2);
  });

  it("an existing folder mog did not install is never overwritten", async () => {
    b = box([".claude"]);
    mkdirSync(join(b.project, ".claude/skills/code-review"), { recursive: true });
    writeFileSync(join(b.project, ".claude/skills/code-review/mine.md"), "mine");
    const { path } = await archiveFile(b.root);
    const before = listTree(b.root);
    const r = await mog(b.env, "install", path, "--dir", b.project, "--json");
    expect(r.envelope.error?.code).toBe("DESTINATION_EXISTS");
    expect(listTree(b.root)).toEqual(before);
  });

  it("a symlinked agent folder is refused (mog never installs through a symlink)", async () => {
    b = box([]);
    const outside = join(b.root, "elsewhere");
    mkdirSync(outside);
    const { symlinkSync } = await import("node:fs");
    symlinkSync(outside, join(b.project, ".claude"));
    const { path } = await archiveFile(b.root);
    const r = await mog(b.env, "install", path, "--dir", b.project, "--target", "claude-code", "--json");
    expect(r.envelope.error?.code).toBe("UNSAFE_PATH");
    expect(listTree(outside)).toEqual([]);
  });

  it("reinstalling a newer version replaces the old one in place", async () => {
    b = box([".cursor"]);
    for (const v of ["1.0.0", "1.1.0"]) {
      const { path } = await archiveFile(b.root, ruleFiles(v), `${v}.zip`);
      expect((await mog(b.env, "install", path, "--dir", b.project)).code).toBe(0);
    }
    expect(readFileSync(join(b.project, ".cursor/rules/style/rules/style.md"), "utf8")).toBe(
      "Use tabs (1.1.0).\n",
    );
    expect(listTree(join(b.project, ".cursor/rules"))).toEqual(
      ["d style", "f style/README.md", "f style/mog.yaml", "d style/rules", "f style/rules/style.md"].sort(),
    );
  });
});

describe("mog only deletes what it installed", () => {
  it("uninstall refuses a folder holding files the lockfile does not list (a hostile lockfile can't aim it)", async () => {
    b = box([".cursor"]);
    const { path } = await archiveFile(b.root, ruleFiles("1.0.0"));
    expect((await mog(b.env, "install", path, "--dir", b.project)).code).toBe(0);
    writeFileSync(join(b.project, ".cursor/rules/style/notes.md"), "mine");
    const r = await mog(b.env, "uninstall", "acme/style", "--dir", b.project, "--json");
    expect(r.envelope.error?.code).toBe("UNSAFE_PATH");
    expect(readFileSync(join(b.project, ".cursor/rules/style/notes.md"), "utf8")).toBe("mine");

    // A lockfile edited to point at the project's own source folder.
    mkdirSync(join(b.project, "src"));
    writeFileSync(join(b.project, "src/main.ts"), "code");
    const lockPath = join(b.project, "mog.lock.json");
    const lock = JSON.parse(readFileSync(lockPath, "utf8"));
    lock.packages["acme/style"].installPath = "src";
    writeFileSync(lockPath, JSON.stringify(lock));
    const hostile = await mog(b.env, "uninstall", "acme/style", "--dir", b.project, "--json");
    expect(hostile.envelope.error?.code).toBe("UNSAFE_PATH");
    expect(readFileSync(join(b.project, "src/main.ts"), "utf8")).toBe("code");
  });
});
