// Which files each package type may carry, judged by extension before inflating and by content after.
import { isUtf8 } from "node:buffer";
import { PackageError, printable } from "./errors.js";
import { MANIFEST_FILE, type PackageType, README_FILE } from "./manifest.js";

const TEXT_EXTENSIONS = [".md", ".yaml", ".yml", ".json", ".txt", ".svg"] as const;
const IMAGE_SIGNATURES: Record<string, readonly number[]> = {
  ".png": [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  ".jpg": [0xff, 0xd8, 0xff],
};
/** Extensions allowed in every type but `mcp`. */
export const CONTENT_EXTENSIONS: readonly string[] = [...TEXT_EXTENSIONS, ...Object.keys(IMAGE_SIGNATURES)];

function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot).toLowerCase() : "";
}

/** `mcp` packages may carry code (any regular file; a nested .zip stays a plain, never-extracted file). */
export function allowsAnyFile(type: PackageType): boolean {
  return type === "mcp";
}

function notAllowed(path: string, why: string): PackageError {
  const shown = printable(path);
  return new PackageError("FILE_TYPE_NOT_ALLOWED", `${why}: ${shown}`, { entry: shown });
}

/** Extension check, run on every file before anything is inflated. */
export function checkFileAllowed(type: PackageType, path: string): void {
  if (path === MANIFEST_FILE || path === README_FILE || allowsAnyFile(type)) return;
  if (!CONTENT_EXTENSIONS.includes(extensionOf(path))) {
    throw notAllowed(path, `A ${type} package may only hold ${CONTENT_EXTENSIONS.join(" ")} files`);
  }
}

/**
 * Content check on the inflated bytes: text files must be UTF-8 without NUL bytes and images must start
 * with their format's signature, so a zip or a binary renamed to `.txt` or `.png` is refused too.
 */
export function checkFileContent(type: PackageType, path: string, data: Uint8Array): void {
  const isManifestOrReadme = path === MANIFEST_FILE || path === README_FILE;
  if (allowsAnyFile(type) && !isManifestOrReadme) return;
  const ext = isManifestOrReadme ? ".md" : extensionOf(path);
  const signature = IMAGE_SIGNATURES[ext];
  if (signature) {
    if (data.length < signature.length || signature.some((byte, i) => data[i] !== byte))
      throw notAllowed(path, `File content is not a ${ext.slice(1).toUpperCase()} image`);
    return;
  }
  if (!isUtf8(data) || data.includes(0)) throw notAllowed(path, "Text file is not UTF-8 text");
}
