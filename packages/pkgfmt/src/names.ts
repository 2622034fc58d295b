// Entry-name rules: decode the raw bytes, then refuse every name that could leave the base or confuse a file system.
import { PackageError, printable } from "./errors.js";

const UTF8_FLAG = 0x800;
const INFO_ZIP_UNICODE_PATH = 0x7075;
const MAX_SEGMENT_BYTES = 255;
const MAX_NAME_BYTES = 1024;
const MAX_DEPTH = 32;
/** Names Windows maps to devices whatever their extension (`con.md`, `COM1.txt`). */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;
const WINDOWS_RESERVED_CHAR = /[<>:"|?*]/;
/** `.git` and its 8.3 short name on Windows. */
const GIT_DIR = /^(\.git|git~\d+)$/;
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

const utf8 = new TextDecoder("utf-8", { fatal: true });

export interface ExtraField {
  id: number;
  data: Buffer;
}

export interface EntryName {
  /** The path inside the archive, `/`-separated, without a trailing slash. */
  name: string;
  /** The name ended with `/` (a folder entry). */
  isDir: boolean;
}

function decode(raw: Buffer, flags: number): string {
  if (flags & UTF8_FLAG) {
    try {
      return utf8.decode(raw);
    } catch {
      throw new PackageError(
        "INVALID_NAME_ENCODING",
        `Entry name is flagged as UTF-8 but is not valid UTF-8: ${printable(raw.toString("latin1"))}`,
        { entry: printable(raw.toString("latin1")) },
      );
    }
  }
  // Without the flag the bytes are CP437 to some tools and UTF-8 or the local code page to others; only
  // ASCII means the same thing everywhere, so anything else is refused rather than guessed.
  for (const byte of raw) {
    if (byte >= 0x80) {
      const shown = printable(raw.toString("latin1"));
      throw new PackageError(
        "INVALID_NAME_ENCODING",
        `Entry name has non-ASCII bytes but no UTF-8 flag: ${shown}`,
        { entry: shown },
      );
    }
  }
  return raw.toString("latin1");
}

/** The Info-ZIP Unicode Path field gives a second name that some tools prefer; it must not differ. */
function checkUnicodePathField(name: string, extraFields: readonly ExtraField[]): void {
  for (const field of extraFields) {
    if (field.id !== INFO_ZIP_UNICODE_PATH) continue;
    let other: string | undefined;
    try {
      if (field.data.length >= 5 && field.data[0] === 1) other = utf8.decode(field.data.subarray(5));
    } catch {
      other = undefined;
    }
    if (other !== name) {
      throw new PackageError(
        "INVALID_NAME_ENCODING",
        `Entry carries a second, different name in its Unicode path field: ${printable(name)}`,
        { entry: printable(name) },
      );
    }
  }
}

function traversal(name: string): PackageError {
  const shown = printable(name);
  return new PackageError("PATH_TRAVERSAL", `Path traversal detected: ${shown}`, { entry: shown });
}

function invalid(name: string, why: string): PackageError {
  const shown = printable(name);
  return new PackageError("INVALID_PATH", `${why}: ${shown}`, { entry: shown });
}

/**
 * Checks a name that is meant to be a relative path inside a package (entry names, and paths the manifest
 * names). Backslashes count as separators for the traversal test, since Windows treats them so.
 */
export function checkRelativePath(name: string): void {
  if (name.includes("\0")) throw invalid(name, "NUL byte in entry name");
  if (/^[/\\]/.test(name) || /^[A-Za-z]:/.test(name)) throw traversal(name);
  if (name.split(/[/\\]/).includes("..")) throw traversal(name);
  if (name.includes("\\")) throw invalid(name, "Backslash in entry name");
  if (CONTROL_OR_FORMAT.test(name)) throw invalid(name, "Control or format character in entry name");
  if (name === "") throw invalid(name, "Empty entry name");
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw invalid(name, "Entry name too long");
  const segments = name.split("/");
  if (segments.length > MAX_DEPTH) throw invalid(name, "Entry name nested too deeply");
  for (const segment of segments) {
    if (segment === "" || segment === ".") throw invalid(name, "Empty or '.' segment in entry name");
    if (WINDOWS_RESERVED_CHAR.test(segment)) throw invalid(name, "Reserved character in entry name");
    if (/[. ]$/.test(segment)) throw invalid(name, "Entry name segment ends with a dot or space");
    if (WINDOWS_DEVICE.test(segment)) throw invalid(name, "Reserved device name in entry name");
    // A .git folder inside an agent's checkout can carry hooks and config that git would act on.
    if (GIT_DIR.test(collisionKey(segment))) throw invalid(name, "Entry name has a .git folder");
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) throw invalid(name, "Entry name segment too long");
  }
}

/** Decodes and checks one central-directory name. */
export function parseEntryName(raw: Buffer, flags: number, extraFields: readonly ExtraField[]): EntryName {
  const decoded = decode(raw, flags);
  checkUnicodePathField(decoded, extraFields);
  // Check the whole name first, so `/` alone or `../` reads as traversal rather than as a folder.
  if (decoded.includes("\0")) throw invalid(decoded, "NUL byte in entry name");
  if (/^[/\\]/.test(decoded) || /^[A-Za-z]:/.test(decoded)) throw traversal(decoded);
  const isDir = decoded.endsWith("/");
  const name = isDir ? decoded.slice(0, -1) : decoded;
  try {
    checkRelativePath(name);
  } catch (err) {
    // Report the name as it is in the archive (with its slash), not the trimmed one.
    if (err instanceof PackageError && err.code === "PATH_TRAVERSAL") throw traversal(decoded);
    throw err;
  }
  return { name, isDir };
}

/**
 * The key two names share when some file system would treat them as the same file: Unicode
 * compatibility normalisation (covers NFC/NFD) and case folding (both directions, so `ß`/`SS` meet too).
 */
export function collisionKey(name: string): string {
  return name.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");
}
