// Safe extraction: a fresh temp folder beside the destination, exclusive no-follow creates, one rename into place.
import { closeSync, constants, mkdirSync, openSync, writeSync } from "node:fs";
import { chmod, lstat, mkdir, mkdtemp, readdir, rename, rm, rmdir } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import type { ArchiveInput } from "./archive.js";
import { PackageError, printable } from "./errors.js";
import {
  inflateFiles,
  loadChecked,
  type PackageFile,
  type PackageInfo,
  preparePackage,
  type ReadOptions,
} from "./package.js";

export interface ExtractResult extends PackageInfo {
  /** Absolute path the package now lives at. */
  dest: string;
}

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Resolves `path` against `base` and refuses anything that lands outside it (second line of defence). */
function inside(base: string, path: string): string {
  const target = resolve(base, path);
  if (!target.startsWith(base + sep)) {
    const shown = printable(path);
    throw new PackageError("PATH_TRAVERSAL", `Path traversal detected: ${shown}`, { entry: shown });
  }
  return target;
}

async function checkDestination(dest: string): Promise<void> {
  const info = await lstat(dest).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (!info) return;
  if (info.isDirectory() && (await readdir(dest)).length === 0) return;
  throw new PackageError(
    "DESTINATION_EXISTS",
    `Destination already exists and is not an empty folder: ${printable(dest)}`,
  );
}

/** Writes one file exclusively: an existing name or a symlink planted at it makes the create fail. */
function writeNew(path: string, data: Buffer): void {
  const fd = openSync(path, CREATE_FLAGS, 0o644);
  try {
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
  } finally {
    closeSync(fd);
  }
}

/**
 * Extracts a package to `dest` (which must not exist, or be an empty folder). Every check of `inspect`
 * runs: the structural ones before anything is created, the content ones as files are inflated. Files
 * are written into a temp folder created beside `dest` (same file system) and renamed into place at the
 * end. On any refusal or error the temp folder (and any parent folder this call created) is removed, so
 * nothing is left behind, in `dest` or anywhere else.
 */
export async function extract(
  input: ArchiveInput,
  dest: string,
  options: ReadOptions = {},
): Promise<ExtractResult> {
  const [archive, limits] = await loadChecked(input, options);
  const target = resolve(dest);
  await checkDestination(target);
  // Most hostile archives are refused here, before a single folder is created.
  const prepared = await preparePackage(archive, limits);
  const parent = dirname(target);
  const firstCreated = await mkdir(parent, { recursive: true });
  let temp: string;
  try {
    temp = await mkdtemp(join(parent, `.${basename(target)}.mog-`));
  } catch (err) {
    await removeCreatedParents(parent, firstCreated);
    throw err;
  }
  try {
    const made = new Set<string>([temp]);
    const ensureDir = (dir: string) => {
      if (made.has(dir)) return;
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      made.add(dir);
    };
    const onFile = async (file: PackageFile, data: Buffer) => {
      const path = inside(temp, file.path);
      ensureDir(dirname(path));
      writeNew(path, data);
      if (options.onFile) await options.onFile(file, data);
    };
    const info = await inflateFiles(prepared, onFile);
    for (const dir of info.dirs) ensureDir(inside(temp, dir));
    await chmod(temp, 0o755);
    try {
      await rename(temp, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOTDIR")
        throw new PackageError(
          "DESTINATION_EXISTS",
          `Destination appeared while extracting: ${printable(target)}`,
        );
      throw err;
    }
    return { ...info, dest: target };
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    await removeCreatedParents(parent, firstCreated);
    throw err;
  }
}

/** Removes the (still empty) parent folders this call created, from `parent` up to `firstCreated`. */
async function removeCreatedParents(parent: string, firstCreated: string | undefined): Promise<void> {
  if (firstCreated === undefined) return;
  for (let dir = parent; ; dir = dirname(dir)) {
    // rmdir only removes empty folders: one something else wrote into meanwhile stays.
    const removed = await rmdir(dir).then(
      () => true,
      () => false,
    );
    if (!removed || dir === firstCreated || dirname(dir) === dir) return;
  }
}
