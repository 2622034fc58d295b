// Paths under the project root (--dir): checked like archive entries, and never through a symlink, so an
// install path (from a manifest or a lockfile) cannot lead mog to write or delete outside the project.
import { lstatSync, mkdirSync, readdirSync, rmdirSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { checkRelativePath } from "@mogplex/pkgfmt";
import { MogError } from "./errors.js";

/** --dir as an absolute path to an existing folder. */
export function projectDir(raw: string | undefined, cwd = process.cwd()): string {
  const dir = resolve(cwd, raw ?? ".");
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {}
  if (!ok) throw new MogError("USAGE", `--dir ${dir} is not an existing folder`);
  return dir;
}

/** `dir/rel`, refusing traversal and any existing symlink (or non-folder parent) along the way. */
export function underDir(dir: string, rel: string): string {
  checkRelativePath(rel);
  const abs = resolve(dir, rel);
  if (!abs.startsWith(dir + sep)) throw new MogError("PATH_TRAVERSAL", `Path traversal detected: ${rel}`);
  const parts = rel.split("/");
  let at = dir;
  for (const [i, part] of parts.entries()) {
    at = join(at, part);
    let info: ReturnType<typeof lstatSync>;
    try {
      info = lstatSync(at);
    } catch {
      break;
    }
    if (info.isSymbolicLink())
      throw new MogError("UNSAFE_PATH", `${rel}: ${at} is a symlink; mog does not install through symlinks`);
    if (i < parts.length - 1 && !info.isDirectory())
      throw new MogError("UNSAFE_PATH", `${rel}: ${at} is not a folder`);
  }
  return abs;
}

/** Creates the missing folders of `abs` (under `dir`) and returns the ones it made, outermost first. */
export function makeParents(dir: string, rel: string): string[] {
  const made: string[] = [];
  let at = dir;
  for (const part of rel.split("/").slice(0, -1)) {
    at = join(at, part);
    try {
      mkdirSync(at, { mode: 0o755 });
      made.push(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return made;
}

/** Removes folders `makeParents` made, innermost first, each only if still empty. */
export function removeParents(made: readonly string[]): void {
  for (const d of [...made].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

/**
 * Whether the folder holds only files the lockfile lists for it (edited ones count; extra files, symlinks or
 * special files do not), so mog never deletes something it did not install, whatever a lockfile claims.
 */
export function onlyLockedFiles(abs: string, files: Readonly<Record<string, string>>): boolean {
  const walk = (dir: string, prefix: string): boolean => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!walk(join(dir, entry.name), rel)) return false;
      } else if (!entry.isFile() || !Object.hasOwn(files, rel)) return false;
    }
    return true;
  };
  try {
    return lstatSync(abs).isDirectory() && walk(abs, "");
  } catch {
    return false;
  }
}
