// The zip-slip corpus: hostile archives (built with yazl where it agrees to write them, raw otherwise) and the
// exact refusal each must get.
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PackageErrorCode } from "../errors.js";
import { SKILL_FILES, skillEntries, yazlZip } from "./fixtures.js";
import { type RawEntry, rawZip } from "./raw-zip.js";

export interface Case {
  title: string;
  archive: () => Buffer | Promise<Buffer>;
  code: PackageErrorCode;
  message: string | RegExp;
}

export const absoluteTarget = join(tmpdir(), `pkgfmt-zip-slip-${process.pid}-${Date.now()}.md`);
const withSkill =
  (...bad: RawEntry[]) =>
  () =>
    rawZip([...skillEntries(), ...bad]);
const withSkillYazl =
  (...bad: Parameters<typeof yazlZip>[0]) =>
  () =>
    yazlZip([...SKILL_FILES, ...bad]);
const innerZip = () => yazlZip([{ name: "payload.md", data: "inner" }]);
/** PKWARE Unix extra field: atime, mtime, uid, gid (12 bytes), then the link target. */
const unixLinkField = (target: string) => ({
  id: 0x000d,
  data: Buffer.concat([Buffer.alloc(12), Buffer.from(target)]),
});
/** ASi Unix extra field: CRC, mode, size/device, uid, gid, then a symlink target. */
const asiUnixField = (mode: number, target: string) => {
  const head = Buffer.alloc(14);
  head.writeUInt16LE(mode, 4);
  return { id: 0x756e, data: Buffer.concat([head, Buffer.from(target)]) };
};
/** Info-ZIP Unicode Path field: version 1, CRC-32 of the header name, then the UTF-8 name. */
const unicodePathField = (name: string) => ({
  id: 0x7075,
  data: Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), Buffer.from(name)]),
});

export const CASES: Case[] = [
  // Escapes: the seed's exact message.
  {
    title: "parent-dir entry",
    archive: withSkill({ name: "../evil.md", data: "x" }),
    code: "PATH_TRAVERSAL",
    message: "Path traversal detected: ../evil.md",
  },
  {
    title: "the seed's ../../etc/passwd",
    archive: withSkill({ name: "../../etc/passwd", data: "root::0:0::/:/bin/sh\n" }),
    code: "PATH_TRAVERSAL",
    message: "Path traversal detected: ../../etc/passwd",
  },
  {
    title: ".. in the middle of a path",
    archive: withSkill({ name: "docs/../../../evil.md", data: "x" }),
    code: "PATH_TRAVERSAL",
    message: "Path traversal detected: docs/../../../evil.md",
  },
  {
    title: "parent-dir folder entry",
    archive: withSkill({ name: "../", data: "", unixMode: 0o040755 }),
    code: "PATH_TRAVERSAL",
    message: "Path traversal detected: ../",
  },
  {
    title: "absolute path",
    archive: withSkill({ name: absoluteTarget, data: "x" }),
    code: "PATH_TRAVERSAL",
    message: `Path traversal detected: ${absoluteTarget}`,
  },
  {
    title: "drive letter with slash",
    archive: withSkill({ name: "C:/Windows/evil.md", data: "x" }),
    code: "PATH_TRAVERSAL",
    message: "Path traversal detected: C:/Windows/evil.md",
  },
  {
    title: "drive-relative path",
    archive: withSkill({ name: "c:evil.md", data: "x" }),
    code: "PATH_TRAVERSAL",
    message: "Path traversal detected: c:evil.md",
  },
  {
    title: "backslash traversal",
    archive: withSkill({ name: "..\\..\\evil.md", data: "x" }),
    code: "PATH_TRAVERSAL",
    message: "Path traversal detected: ..\\..\\evil.md",
  },
  {
    title: "mixed separators",
    archive: withSkill({ name: "docs/..\\..\\evil.md", data: "x" }),
    code: "PATH_TRAVERSAL",
    message: "Path traversal detected: docs/..\\..\\evil.md",
  },
  {
    title: "UNC path",
    archive: withSkill({ name: "\\\\server\\share\\evil.md", data: "x" }),
    code: "PATH_TRAVERSAL",
    message: "Path traversal detected: \\\\server\\share\\evil.md",
  },
  {
    title: "backslash as a separator",
    archive: withSkill({ name: "docs\\evil.md", data: "x" }),
    code: "INVALID_PATH",
    message: "Backslash in entry name: docs\\evil.md",
  },
  {
    title: "NUL byte in the name",
    archive: withSkill({ name: "evil.md\0.txt", data: "x" }),
    code: "INVALID_PATH",
    message: "NUL byte in entry name: evil.md\\u{0}.txt",
  },
  {
    title: "newline in the name",
    archive: withSkill({ name: "a\nb.md", data: "x" }),
    code: "INVALID_PATH",
    message: "Control or format character in entry name: a\\u{a}b.md",
  },
  {
    title: "Windows device name",
    archive: withSkill({ name: "docs/con.md", data: "x" }),
    code: "INVALID_PATH",
    message: "Reserved device name in entry name: docs/con.md",
  },
  {
    title: "trailing dot (Windows strips it)",
    archive: withSkill({ name: "SKILL.md.", data: "x" }),
    code: "INVALID_PATH",
    message: "Entry name segment ends with a dot or space: SKILL.md.",
  },
  {
    title: "alternate data stream",
    archive: withSkill({ name: "SKILL.md:hidden", data: "x" }),
    code: "INVALID_PATH",
    message: "Reserved character in entry name: SKILL.md:hidden",
  },
  {
    title: ".git folder (hooks, config)",
    archive: withSkill({ name: "docs/.GIT/hooks.md", data: "x" }),
    code: "INVALID_PATH",
    message: "Entry name has a .git folder: docs/.GIT/hooks.md",
  },
  // Links and special files.
  {
    title: "symlink (raw, Unix mode S_IFLNK)",
    archive: withSkill({ name: "link.md", data: "/etc/passwd", unixMode: 0o120777 }),
    code: "SYMLINK",
    message: "Symlink entry refused: link.md",
  },
  {
    title: "symlink written by yazl",
    archive: withSkillYazl({ name: "link.md", data: "../../../../etc", mode: 0o120777 }),
    code: "SYMLINK",
    message: "Symlink entry refused: link.md",
  },
  {
    title: "symlink folder followed by a file through it",
    archive: withSkill(
      { name: "docs", data: "../../", unixMode: 0o120777 },
      { name: "docs/evil.md", data: "x" },
    ),
    code: "SYMLINK",
    message: "Symlink entry refused: docs",
  },
  {
    title: "symlink mode on a DOS-made entry",
    archive: withSkill({ name: "link.md", data: "/etc/passwd", unixMode: 0o120777, madeBy: 0 }),
    code: "SYMLINK",
    message: "Symlink entry refused: link.md",
  },
  {
    title: "hard link (PKWARE Unix extra field with a target)",
    archive: withSkill({ name: "hard.md", data: "", extraFields: [unixLinkField("../../etc/passwd")] }),
    code: "HARD_LINK",
    message: "Link entry refused: hard.md",
  },
  {
    title: "symlink in an ASi Unix extra field",
    archive: withSkill({ name: "asi.md", data: "", extraFields: [asiUnixField(0o120777, "/etc/passwd")] }),
    code: "SYMLINK",
    message: "Symlink entry refused: asi.md",
  },
  {
    title: "FIFO in an ASi Unix extra field",
    archive: withSkill({ name: "asi.md", data: "", extraFields: [asiUnixField(0o010644, "")] }),
    code: "SPECIAL_FILE",
    message: "Device, FIFO or socket entry refused: asi.md",
  },
  {
    title: "FIFO",
    archive: withSkillYazl({ name: "pipe.md", data: "", mode: 0o010644 }),
    code: "SPECIAL_FILE",
    message: "Device, FIFO or socket entry refused: pipe.md",
  },
  {
    title: "character device",
    archive: withSkill({ name: "tty.md", data: "", unixMode: 0o020644 }),
    code: "SPECIAL_FILE",
    message: "Device, FIFO or socket entry refused: tty.md",
  },
  // Names that collide.
  {
    title: "duplicate name",
    archive: withSkill({ name: "SKILL.md", data: "second copy" }),
    code: "DUPLICATE_ENTRY",
    message: "Duplicate entry: SKILL.md",
  },
  {
    title: "case collision",
    archive: withSkillYazl({ name: "docs/Guide.md", data: "a" }, { name: "docs/guide.md", data: "b" }),
    code: "NAME_COLLISION",
    message:
      "Entry names collide when case or Unicode normalisation is ignored: docs/Guide.md and docs/guide.md",
  },
  {
    title: "folder case collision",
    archive: withSkillYazl({ name: "Docs/a.md", data: "a" }, { name: "docs/b.md", data: "b" }),
    code: "NAME_COLLISION",
    message: "Entry names collide when case or Unicode normalisation is ignored: Docs/ and docs/",
  },
  {
    title: "NFC / NFD collision",
    archive: withSkillYazl(
      { name: "caf\u00e9.md", data: "composed" },
      { name: "cafe\u0301.md", data: "decomposed" },
    ),
    code: "NAME_COLLISION",
    message:
      "Entry names collide when case or Unicode normalisation is ignored: caf\u00e9.md and cafe\u0301.md",
  },
  {
    title: "a file that is also a folder",
    archive: withSkillYazl({ name: "notes.md", data: "a" }, { name: "notes.md/x.md", data: "b" }),
    code: "NAME_COLLISION",
    message: "Entry names collide when case or Unicode normalisation is ignored: notes.md and notes.md/",
  },
  // Names that mean different things to different tools.
  {
    title: "name flagged UTF-8 that is not",
    archive: withSkill({ name: Buffer.from([0x65, 0xff, 0x2e, 0x6d, 0x64]), data: "x" }),
    code: "INVALID_NAME_ENCODING",
    message: "Entry name is flagged as UTF-8 but is not valid UTF-8: e\u00ff.md",
  },
  {
    title: "overlong UTF-8 encoding of '/'",
    archive: withSkill({ name: Buffer.from([0x2e, 0x2e, 0xc0, 0xaf, 0x65, 0x2e, 0x6d, 0x64]), data: "x" }),
    code: "INVALID_NAME_ENCODING",
    message: /^Entry name is flagged as UTF-8 but is not valid UTF-8: /,
  },
  {
    title: "non-ASCII name without the UTF-8 flag",
    archive: withSkill({ name: Buffer.from("caf\xe9.md", "latin1"), data: "x", flags: 0 }),
    code: "INVALID_NAME_ENCODING",
    message: "Entry name has non-ASCII bytes but no UTF-8 flag: caf\u00e9.md",
  },
  {
    title: "Unicode path field naming another file",
    archive: withSkill({ name: "ok.md", data: "x", extraFields: [unicodePathField("../evil.md")] }),
    code: "INVALID_NAME_ENCODING",
    message: "Entry carries a second, different name in its Unicode path field: ok.md",
  },
  {
    title: "local header naming another file than the central directory",
    archive: withSkill({ name: "ok.md", localName: "../evil.md", data: "x" }),
    code: "ARCHIVE_INVALID",
    message: "Local header names a different file than the central directory: ok.md",
  },
  // Contents the format refuses.
  {
    title: "encrypted entry",
    archive: withSkill({ name: "secret.md", data: "x", flags: 0x801 }),
    code: "ENCRYPTED_ENTRY",
    message: "Encrypted entry refused: secret.md",
  },
  {
    title: "unsupported compression (bzip2)",
    archive: withSkill({ name: "b.md", data: "x", method: 12 }),
    code: "UNSUPPORTED_COMPRESSION",
    message: "Compression method 12 not supported: b.md",
  },
  {
    title: "size lying low",
    archive: withSkill({ name: "lie.md", data: "x".repeat(5000), uncompressedSize: 10 }),
    code: "SIZE_MISMATCH",
    message: "Entry inflates to more than its declared 10 bytes: lie.md",
  },
  {
    title: "size lying high",
    archive: withSkill({ name: "lie.md", data: "x".repeat(10), uncompressedSize: 100 }),
    code: "SIZE_MISMATCH",
    message: "Entry inflates to 10 bytes but declares 100: lie.md",
  },
  {
    title: "wrong CRC-32",
    archive: withSkill({ name: "crc.md", data: "hello", crc32: 1234 }),
    code: "CRC_MISMATCH",
    message: "CRC-32 mismatch: crc.md",
  },
  {
    title: "overlapping entries",
    archive: () =>
      rawZip([{ name: "a.md", data: "hello", method: 0, centralSizeOverride: 60 }, ...skillEntries()]),
    code: "ZIP_BOMB",
    message: "Entries overlap in the archive (overlapping zip bomb): mog.yaml",
  },
  {
    title: "nested zip in a skill",
    archive: async () => yazlZip([...SKILL_FILES, { name: "inner.zip", data: await innerZip() }]),
    code: "FILE_TYPE_NOT_ALLOWED",
    message: "A skill package may only hold .md .yaml .yml .json .txt .svg .png .jpg files: inner.zip",
  },
  {
    title: "nested zip renamed to .txt",
    archive: async () => yazlZip([...SKILL_FILES, { name: "notes.txt", data: await innerZip() }]),
    code: "FILE_TYPE_NOT_ALLOWED",
    message: "Text file is not UTF-8 text: notes.txt",
  },
  {
    title: "script in a skill",
    archive: withSkillYazl({ name: "run.sh", data: "#!/bin/sh\nrm -rf ~\n" }),
    code: "FILE_TYPE_NOT_ALLOWED",
    message: "A skill package may only hold .md .yaml .yml .json .txt .svg .png .jpg files: run.sh",
  },
  {
    title: "text posing as a PNG",
    archive: withSkillYazl({ name: "logo.png", data: "not an image" }),
    code: "FILE_TYPE_NOT_ALLOWED",
    message: "File content is not a PNG image: logo.png",
  },
  {
    title: "two top folders",
    archive: () => rawZip([...skillEntries("one/"), { name: "two/x.md", data: "x" }]),
    code: "LAYOUT_INVALID",
    message: "mog.yaml not found at the top of the archive or inside its single top folder",
  },
  {
    title: "no README.md",
    archive: () => rawZip(skillEntries().filter((e) => e.name !== "README.md")),
    code: "LAYOUT_INVALID",
    message: "README.md missing next to mog.yaml",
  },
  {
    title: "not a zip at all",
    archive: () => Buffer.from("PK\x03\x04 this is not really a zip"),
    code: "ARCHIVE_INVALID",
    message: /^Not a valid zip archive \(/,
  },
];
