// The package's shape: no duplicate or colliding names, one optional top folder, mog.yaml and README.md in it.
import { PackageError, printable } from "./errors.js";
import { MANIFEST_FILE, README_FILE } from "./manifest.js";
import { collisionKey } from "./names.js";
import type { ZipEntry } from "./zip.js";

export interface PlannedEntry {
  /** Path relative to the package root (top folder removed). */
  path: string;
  entry: ZipEntry;
}

export interface Layout {
  /** The top folder every entry sits in (`"name/"`), or `""` when mog.yaml is at the root. */
  prefix: string;
  files: PlannedEntry[];
  dirs: PlannedEntry[];
}

function collision(a: string, b: string): PackageError {
  const shown = printable(b);
  return new PackageError(
    "NAME_COLLISION",
    `Entry names collide when case or Unicode normalisation is ignored: ${printable(a)} and ${shown}`,
    { entry: shown },
  );
}

/**
 * Refuses exact duplicates and names that some file system (case-insensitive, or normalising Unicode)
 * would merge, including a file that is also used as a folder by another entry.
 */
export function checkCollisions(entries: readonly ZipEntry[]): void {
  const files = new Map<string, string>();
  const dirs = new Map<string, string>();
  const explicitDirs = new Set<string>();
  const addDir = (name: string) => {
    const key = collisionKey(name);
    const file = files.get(key);
    if (file !== undefined) throw collision(file, `${name}/`);
    const dir = dirs.get(key);
    if (dir !== undefined && dir !== name) throw collision(`${dir}/`, `${name}/`);
    dirs.set(key, name);
  };
  for (const entry of entries) {
    const segments = entry.name.split("/");
    for (let i = 1; i < segments.length; i++) addDir(segments.slice(0, i).join("/"));
    if (entry.isDir) {
      if (explicitDirs.has(entry.name)) {
        const shown = printable(`${entry.name}/`);
        throw new PackageError("DUPLICATE_ENTRY", `Duplicate entry: ${shown}`, { entry: shown });
      }
      explicitDirs.add(entry.name);
      addDir(entry.name);
      continue;
    }
    const key = collisionKey(entry.name);
    const existing = files.get(key);
    if (existing === entry.name) {
      const shown = printable(entry.name);
      throw new PackageError("DUPLICATE_ENTRY", `Duplicate entry: ${shown}`, { entry: shown });
    }
    if (existing !== undefined) throw collision(existing, entry.name);
    const dir = dirs.get(key);
    if (dir !== undefined) throw collision(`${dir}/`, entry.name);
    files.set(key, entry.name);
  }
}

function findPrefix(entries: readonly ZipEntry[]): string {
  if (entries.some((e) => !e.isDir && e.name === MANIFEST_FILE)) return "";
  const tops = new Set(entries.map((e) => e.name.split("/")[0]));
  const [top] = tops;
  if (
    tops.size === 1 &&
    top !== undefined &&
    entries.some((e) => !e.isDir && e.name === `${top}/${MANIFEST_FILE}`)
  )
    return `${top}/`;
  throw new PackageError(
    "LAYOUT_INVALID",
    `${MANIFEST_FILE} not found at the top of the archive or inside its single top folder`,
  );
}

/** The package's files and folders relative to its root. Call after checkCollisions. */
export function planLayout(entries: readonly ZipEntry[]): Layout {
  const prefix = findPrefix(entries);
  const files: PlannedEntry[] = [];
  const dirs: PlannedEntry[] = [];
  for (const entry of entries) {
    if (prefix && entry.isDir && `${entry.name}/` === prefix) continue;
    const path = entry.name.slice(prefix.length);
    (entry.isDir ? dirs : files).push({ path, entry });
  }
  if (!files.some((f) => f.path === README_FILE))
    throw new PackageError("LAYOUT_INVALID", `${README_FILE} missing next to ${MANIFEST_FILE}`);
  return { prefix, files, dirs };
}
