// Every refusal of a package is a PackageError with a stable code; the message names the entry or field.

export const PACKAGE_ERROR_CODES = [
  /** The archive or file is larger than the archive limit, or the bytes are not a usable zip. */
  "ARCHIVE_TOO_LARGE",
  "ARCHIVE_INVALID",
  /** The archive's SHA-256 differs from the expected one (nothing was written). */
  "INTEGRITY_MISMATCH",
  /** An entry would land outside the install folder: `..`, absolute path, drive letter, backslash traversal. */
  "PATH_TRAVERSAL",
  /** A name no file system should get: NUL or control characters, reserved names, empty segments, too long. */
  "INVALID_PATH",
  "INVALID_NAME_ENCODING",
  "SYMLINK",
  "HARD_LINK",
  "SPECIAL_FILE",
  "DUPLICATE_ENTRY",
  "NAME_COLLISION",
  "ENCRYPTED_ENTRY",
  "UNSUPPORTED_COMPRESSION",
  "TOO_MANY_FILES",
  "FILE_TOO_LARGE",
  "TOTAL_TOO_LARGE",
  /** Compression ratio over the limit (judged on the bytes actually inflated). */
  "ZIP_BOMB",
  /** An entry inflates to a different size than its header declares, or its CRC-32 is wrong. */
  "SIZE_MISMATCH",
  "CRC_MISMATCH",
  /** mog.yaml or README.md missing, or entries spread over more than one top folder. */
  "LAYOUT_INVALID",
  "MANIFEST_INVALID",
  /** A file whose extension (or content) the package type does not allow. */
  "FILE_TYPE_NOT_ALLOWED",
  "DESTINATION_EXISTS",
] as const;

export type PackageErrorCode = (typeof PACKAGE_ERROR_CODES)[number];

export interface PackageErrorDetails {
  /** The entry name as printed in the message (control characters escaped). */
  entry?: string;
  /** The manifest field, as a dotted path (`install_map.cursor`). */
  field?: string;
  /** Bytes inflated when a size limit stopped inflation. */
  inflatedBytes?: number;
}

export class PackageError extends Error {
  override readonly name = "PackageError";
  readonly code: PackageErrorCode;
  readonly details: PackageErrorDetails;

  constructor(code: PackageErrorCode, message: string, details: PackageErrorDetails = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export function isPackageError(err: unknown, code?: PackageErrorCode): err is PackageError {
  return err instanceof PackageError && (code === undefined || err.code === code);
}

/**
 * An entry name made safe to print: control and format characters (NUL, newlines, bidi overrides)
 * become `\u{…}` escapes so a hostile name cannot forge log lines or hide its real shape; very long
 * names are cut.
 */
export function printable(name: string): string {
  const escaped = name.replace(
    /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu,
    (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`,
  );
  return escaped.length > 300 ? `${escaped.slice(0, 300)}…` : escaped;
}
