// Reads the central directory with yauzl and refuses every entry that is not a plain file or folder.
import yauzl from "yauzl";
import { PackageError, printable } from "./errors.js";
import type { PackageLimits } from "./limits.js";
import { parseEntryName } from "./names.js";

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const DOS_DIRECTORY = 0x10;
const FLAG_ENCRYPTED = 0x1;
const FLAG_STRONG_ENCRYPTION = 0x40;
/** PKWARE Unix extra field: after 12 fixed bytes it carries the target of a hard or symbolic link. */
const PKWARE_UNIX_FIELD = 0x000d;
/** ASi Unix extra field: CRC (4), mode (2), size/device (4), uid (2), gid (2), then a symlink's target. */
const ASI_UNIX_FIELD = 0x756e;

export interface ZipEntry {
  /** Path inside the archive without a trailing slash. */
  name: string;
  isDir: boolean;
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  /** Offset of the entry's compressed bytes in the archive. */
  dataStart: number;
  localHeaderOffset: number;
}

function fail(code: PackageError["code"], message: string, name?: string): PackageError {
  const shown = name === undefined ? undefined : printable(name);
  return new PackageError(
    code,
    shown === undefined ? message : `${message}: ${shown}`,
    shown ? { entry: shown } : {},
  );
}

function zipError(err: unknown): PackageError {
  if (err instanceof PackageError) return err;
  const why = err instanceof Error ? err.message : String(err);
  return new PackageError("ARCHIVE_INVALID", `Not a valid zip archive (${why})`);
}

/** What kind of entry the external attributes describe; only files and folders get through. */
function checkEntryKind(entry: yauzl.Entry, name: string, isDir: boolean): void {
  const unixMode = entry.externalFileAttributes >>> 16;
  const format = unixMode & S_IFMT;
  // Unix modes are honoured whatever "made by" says: some extractors do, so the archive must not rely on it.
  if (format === S_IFLNK) throw fail("SYMLINK", "Symlink entry refused", name);
  if (format !== 0 && format !== S_IFREG && format !== S_IFDIR)
    throw fail("SPECIAL_FILE", "Device, FIFO or socket entry refused", name);
  for (const field of entry.extraFields) {
    if (field.id === PKWARE_UNIX_FIELD && field.data.length > 12)
      throw fail("HARD_LINK", "Link entry refused", name);
    if (field.id === ASI_UNIX_FIELD) {
      const asiFormat = field.data.length >= 6 ? field.data.readUInt16LE(4) & S_IFMT : 0;
      if (asiFormat === S_IFLNK || field.data.length > 14)
        throw fail("SYMLINK", "Symlink entry refused", name);
      if (asiFormat !== 0 && asiFormat !== S_IFREG && asiFormat !== S_IFDIR)
        throw fail("SPECIAL_FILE", "Device, FIFO or socket entry refused", name);
    }
  }
  // Only explicit contradictions are refused: many writers (Java's among them) leave a folder's attributes at 0.
  const saysDir =
    format === S_IFDIR || (format === 0 && (entry.externalFileAttributes & DOS_DIRECTORY) !== 0);
  if ((saysDir && !isDir) || (format === S_IFREG && isDir))
    throw fail("INVALID_PATH", "Entry's type and name disagree (folder without '/' or file with it)", name);
  if (isDir && entry.uncompressedSize !== 0) throw fail("INVALID_PATH", "Folder entry carries data", name);
}

function toZipEntry(entry: yauzl.Entry): Omit<ZipEntry, "dataStart"> {
  if (entry.generalPurposeBitFlag & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION))
    throw fail("ENCRYPTED_ENTRY", "Encrypted entry refused", entry.fileNameRaw.toString("latin1"));
  const { name, isDir } = parseEntryName(entry.fileNameRaw, entry.generalPurposeBitFlag, entry.extraFields);
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
    throw fail(
      "UNSUPPORTED_COMPRESSION",
      `Compression method ${entry.compressionMethod} not supported`,
      name,
    );
  checkEntryKind(entry, name, isDir);
  return {
    name,
    isDir,
    compressionMethod: entry.compressionMethod,
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    crc32: entry.crc32,
    localHeaderOffset: entry.relativeOffsetOfLocalHeader,
  };
}

/**
 * Every entry of the archive, checked (names, kinds, encryption, method, local header agreeing with the
 * central directory, no overlapping data), in central-directory order. Nothing is inflated here.
 */
export async function readEntries(archive: Buffer, limits: PackageLimits): Promise<ZipEntry[]> {
  let zip: yauzl.ZipFile;
  try {
    // decodeStrings off: names reach our own checks as raw bytes, never pre-interpreted.
    zip = await yauzl.fromBufferPromise(archive, {
      lazyEntries: true,
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (err) {
    throw zipError(err);
  }
  if (zip.entryCount > limits.maxEntries)
    throw new PackageError(
      "TOO_MANY_FILES",
      `Package has ${zip.entryCount} entries; the limit is ${limits.maxEntries}`,
    );
  const entries: ZipEntry[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const checked = toZipEntry(entry);
      const local = await zip.readLocalFileHeaderPromise(entry);
      if (!local.fileName.equals(entry.fileNameRaw))
        throw fail(
          "ARCHIVE_INVALID",
          "Local header names a different file than the central directory",
          checked.name,
        );
      if (
        local.compressionMethod !== entry.compressionMethod ||
        (local.generalPurposeBitFlag & FLAG_ENCRYPTED) !== 0
      )
        throw fail("ARCHIVE_INVALID", "Local header disagrees with the central directory", checked.name);
      entries.push({ ...checked, dataStart: local.fileDataStart });
    }
  } catch (err) {
    throw zipError(err);
  } finally {
    zip.close();
  }
  checkNoOverlap(entries);
  return entries;
}

/** Two entries sharing bytes is how "overlapping" zip bombs multiply one compressed stream. */
function checkNoOverlap(entries: readonly ZipEntry[]): void {
  const byOffset = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    const next = byOffset[i];
    if (prev && next && prev.dataStart + prev.compressedSize > next.localHeaderOffset)
      throw fail("ZIP_BOMB", "Entries overlap in the archive (overlapping zip bomb)", next.name);
  }
}
