// extract's own rules: integrity before writing, destinations, top folders, mcp payloads, modes, clean failure.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { verify } from "./archive.js";
import { isPackageError } from "./errors.js";
import { extract } from "./extract.js";
import { inspect } from "./package.js";
import {
  listTree,
  MCP_MANIFEST,
  SKILL_FILES,
  sandbox,
  skillEntries,
  yazlZip,
} from "./test-support/fixtures.js";
import { rawZip } from "./test-support/raw-zip.js";

let cleanup = () => {};
afterEach(() => cleanup());
function box() {
  const b = sandbox();
  cleanup = b.cleanup;
  return b;
}

describe("integrity", () => {
  it("verify refuses a wrong SHA-256 with a message about integrity, and extract writes nothing", async () => {
    const b = box();
    const archive = await yazlZip(SKILL_FILES);
    const wrong = "ab".repeat(32);
    await expect(verify(archive, wrong)).rejects.toThrow(/integrity/);
    const before = listTree(b.root);
    const err = await extract(archive, b.dest, { expectedSha256: wrong }).catch((e: unknown) => e);
    expect(isPackageError(err, "INTEGRITY_MISMATCH")).toBe(true);
    expect((err as Error).message).toMatch(
      /^Package integrity check failed: SHA-256 [0-9a-f]{64} does not match/,
    );
    expect(listTree(b.root)).toEqual(before);
    await expect(verify(archive, "not-a-hash")).rejects.toThrow(/integrity/);
  });

  it("verify reads a path, returns the checked bytes, and a one-byte change is caught", async () => {
    const b = box();
    const archive = await yazlZip(SKILL_FILES);
    const file = join(b.root, "pkg.zip");
    writeFileSync(file, archive);
    const { sha256 } = await inspect(file).then((i) => ({ sha256: i.archiveSha256 }));
    const ok = await verify(file, sha256.toUpperCase());
    expect(ok.bytes.equals(archive)).toBe(true);
    const tampered = Buffer.from(archive);
    tampered[tampered.length - 30] = (tampered[tampered.length - 30] ?? 0) ^ 1;
    writeFileSync(file, tampered);
    await expect(verify(file, sha256)).rejects.toThrow(/integrity/);
  });

  it("a FIFO given as the archive path is refused instead of hanging", async () => {
    const b = box();
    const fifo = join(b.root, "pkg.zip");
    execFileSync("mkfifo", [fifo]);
    await expect(verify(fifo, "00".repeat(32))).rejects.toThrow("Archive is not a regular file");
  });
});

describe("destination", () => {
  it("refuses a non-empty destination and leaves it as it was", async () => {
    const b = box();
    mkdirSync(b.dest);
    writeFileSync(join(b.dest, "mine.md"), "keep me");
    const before = listTree(b.root);
    const err = await extract(await yazlZip(SKILL_FILES), b.dest).catch((e: unknown) => e);
    expect(isPackageError(err, "DESTINATION_EXISTS")).toBe(true);
    expect(listTree(b.root)).toEqual(before);
    expect(readFileSync(join(b.dest, "mine.md"), "utf8")).toBe("keep me");
  });

  it("refuses a destination that is a symlink, and writes nothing where it points", async () => {
    const b = box();
    const elsewhere = join(b.root, "elsewhere");
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, b.dest);
    const err = await extract(await yazlZip(SKILL_FILES), b.dest).catch((e: unknown) => e);
    expect(isPackageError(err, "DESTINATION_EXISTS")).toBe(true);
    expect(listTree(elsewhere)).toEqual([]);
  });

  it("fills an empty destination folder and creates missing parents", async () => {
    const b = box();
    mkdirSync(b.dest);
    await extract(await yazlZip(SKILL_FILES), b.dest);
    expect(listTree(b.dest)).toEqual(["f README.md", "f SKILL.md", "f mog.yaml"]);
    const nested = join(b.base, "a", "b", "pkg");
    await extract(await yazlZip(SKILL_FILES), nested);
    expect(existsSync(join(nested, "SKILL.md"))).toBe(true);
  });
});

describe("layout and payloads", () => {
  it("removes the single top folder and keeps empty folders", async () => {
    const b = box();
    const archive = rawZip([
      { name: "code-review/", unixMode: 0o040755 },
      ...skillEntries("code-review/"),
      { name: "code-review/empty/", unixMode: 0o040755 },
    ]);
    const info = await extract(archive, b.dest);
    expect(info.topFolder).toBe("code-review");
    expect(info.dirs).toEqual(["empty"]);
    expect(listTree(b.dest)).toEqual(["d empty", "f README.md", "f SKILL.md", "f mog.yaml"]);
  });

  it("an mcp package may carry code and a nested zip, which stays a plain file", async () => {
    const b = box();
    const inner = await yazlZip([{ name: "payload.md", data: "inner" }]);
    const archive = await yazlZip([
      { name: "mog.yaml", data: MCP_MANIFEST },
      { name: "README.md", data: "# Tickets\n" },
      { name: "server.js", data: "console.log('hi')\n", mode: 0o100755 },
      { name: "vendor/deps.zip", data: inner },
      { name: "bin/native", data: Buffer.from([0, 1, 2, 3, 0xff]) },
    ]);
    await extract(archive, b.dest);
    expect(readFileSync(join(b.dest, "vendor", "deps.zip")).equals(inner)).toBe(true);
    expect(existsSync(join(b.dest, "vendor", "payload.md"))).toBe(false);
    // Modes from the archive are not applied: files 0644, folders 0755.
    expect(statSync(join(b.dest, "server.js")).mode & 0o7777).toBe(0o644);
    expect(statSync(join(b.dest, "vendor")).mode & 0o7777).toBe(0o755);
    expect(statSync(b.dest).mode & 0o7777).toBe(0o755);
  });

  it("refuses an entrypoint or mcp command that is not in the package", async () => {
    const noEntry = rawZip(skillEntries().filter((e) => e.name !== "SKILL.md"));
    await expect(inspect(noEntry)).rejects.toThrow(
      "mog.yaml: entrypoint: SKILL.md is not a file in the package",
    );
    const noCommand = rawZip([
      { name: "mog.yaml", data: MCP_MANIFEST.replace("command: node", "command: ./bin/server") },
      { name: "README.md", data: "x" },
    ]);
    await expect(inspect(noCommand)).rejects.toThrow(
      "mog.yaml: mcp.command: ./bin/server is not a file in the package",
    );
  });

  it("keeps folder entries whose attributes are 0 (as Java writes them)", async () => {
    const b = box();
    await extract(rawZip([...skillEntries(), { name: "docs/", unixMode: 0, madeBy: 0 }]), b.dest);
    expect(listTree(b.dest)).toContain("d docs");
    const err = await inspect(rawZip([...skillEntries(), { name: "docs", unixMode: 0o040755 }])).catch(
      (e: unknown) => e,
    );
    expect(isPackageError(err, "INVALID_PATH")).toBe(true);
  });

  it("a refusal found while inflating also removes the parent folders extract created", async () => {
    const b = box();
    const before = listTree(b.root);
    const archive = rawZip([...skillEntries(), { name: "crc.md", data: "hello", crc32: 1 }]);
    const dest = join(b.base, ".claude", "skills", "code-review");
    const err = await extract(archive, dest).catch((e: unknown) => e);
    expect(isPackageError(err, "CRC_MISMATCH")).toBe(true);
    expect(listTree(b.root)).toEqual(before);
  });

  it("a refusal from onFile (e.g. the scanner's secret check) removes what was written", async () => {
    const b = box();
    const before = listTree(b.root);
    const onFile = (file: { path: string }) => {
      if (file.path === "SKILL.md") throw new Error("secret found");
    };
    await expect(extract(await yazlZip(SKILL_FILES), b.dest, { onFile })).rejects.toThrow("secret found");
    expect(listTree(b.root)).toEqual(before);
  });
});
