// How the scanner names what it refused: every pkgfmt refusal code mapped to one category, plus its own codes.
import type { PackageErrorCode } from "@mogplex/pkgfmt";
import type { ScanCategory } from "./types.js";

/**
 * Each pkgfmt `PackageError` code → the category a release records. A `Record` over every code, so a code
 * added to pkgfmt fails the build here until it is given a category.
 */
export const PACKAGE_ERROR_CATEGORY: Readonly<Record<PackageErrorCode, ScanCategory>> = {
  // Entries that would land, or point, outside the install folder, and names that mean different things to
  // different tools (NUL truncation, NTFS streams, device names, a second name in a Unicode path field).
  PATH_TRAVERSAL: "path_traversal",
  SYMLINK: "path_traversal",
  HARD_LINK: "path_traversal",
  INVALID_PATH: "path_traversal",
  INVALID_NAME_ENCODING: "path_traversal",
  // What a file is, or holds, is not allowed for the package type (or cannot be read at all).
  FILE_TYPE_NOT_ALLOWED: "file_type",
  SPECIAL_FILE: "file_type",
  ENCRYPTED_ENTRY: "file_type",
  UNSUPPORTED_COMPRESSION: "file_type",
  // Sizes, counts and ratios, judged on the bytes actually inflated.
  ARCHIVE_TOO_LARGE: "size",
  TOO_MANY_FILES: "size",
  FILE_TOO_LARGE: "size",
  TOTAL_TOO_LARGE: "size",
  ZIP_BOMB: "size",
  SIZE_MISMATCH: "size",
  MANIFEST_INVALID: "manifest",
  // The archive's shape: not a usable zip, corrupt entries, duplicates and collisions, missing mog.yaml or
  // README.md, several top folders.
  ARCHIVE_INVALID: "structure",
  CRC_MISMATCH: "structure",
  DUPLICATE_ENTRY: "structure",
  NAME_COLLISION: "structure",
  LAYOUT_INVALID: "structure",
  // Never raised by inspect (no expected hash, no destination); here so the map stays total.
  INTEGRITY_MISMATCH: "structure",
  DESTINATION_EXISTS: "structure",
};

/** The scanner's own codes, beside pkgfmt's. */
export const SCAN_CODES = {
  /** secretlint's recommended preset found a credential: `failed`. */
  secret: "SECRET",
  /** Only a credential *id* (an AWS access key id), or a format only our broader patterns know: `flagged`. */
  possibleSecret: "POSSIBLE_SECRET",
  /** An `mcp` package whose command is a shell (it can run anything the arguments say): `flagged`. */
  shellCommand: "SHELL_COMMAND",
} as const;

/** Programs that run whatever their arguments say: an MCP server started through one is flagged for review. */
const SHELLS = new Set([
  "sh",
  "bash",
  "dash",
  "zsh",
  "ksh",
  "mksh",
  "fish",
  "csh",
  "tcsh",
  "ash",
  "busybox",
  "env",
  "cmd",
  "cmd.exe",
  "powershell",
  "powershell.exe",
  "pwsh",
  "pwsh.exe",
]);

/** True when an mcp package's command is a shell, by name or as a path (`/bin/sh`, `./run.sh` is not one). */
export function isShellCommand(command: string): boolean {
  const base = command.split(/[\\/]/).pop() ?? command;
  return SHELLS.has(base.toLowerCase());
}
