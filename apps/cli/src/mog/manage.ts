// `mog uninstall` and `mog list`: the lockfile says what mog put where; uninstall removes exactly that,
// and only writes a lockfile without the entry once the files are out of the way (put back if it fails).
import { randomBytes } from "node:crypto";
import { existsSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { MogError } from "./errors.js";
import { type LockEntry, readLock, writeLock } from "./lock.js";
import { type McpChange, setMcpServer } from "./mcp-config.js";
import { onlyLockedFiles, underDir } from "./paths.js";

export interface Removed {
  name: string;
  version: string;
  installPath: string;
  mcp: LockEntry["mcp"] | null;
}

export function uninstall(dir: string, name: string): Removed {
  const lock = readLock(dir);
  const entry = lock.packages[name];
  if (!entry) throw new MogError("NOT_INSTALLED", `${name} is not installed in ${dir} (see \`mog list\`)`);
  const abs = underDir(dir, entry.installPath);
  if (existsSync(abs) && !onlyLockedFiles(abs, entry.files))
    throw new MogError(
      "UNSAFE_PATH",
      `${entry.installPath} holds files mog did not install for ${name}; remove them (or the folder) by hand first`,
    );
  const trash = join(dirname(abs), `.${basename(abs)}.mog-del-${randomBytes(4).toString("hex")}`);
  let moved = false;
  let mcp: McpChange | null = null;
  try {
    if (existsSync(abs)) {
      renameSync(abs, trash);
      moved = true;
    }
    if (entry.mcp) mcp = setMcpServer(dir, entry.target, entry.mcp.key, null);
    delete lock.packages[name];
    writeLock(dir, lock);
  } catch (err) {
    if (moved) renameSync(trash, abs);
    mcp?.undo();
    throw err;
  }
  rmSync(trash, { recursive: true, force: true });
  return { name, version: entry.version, installPath: entry.installPath, mcp: entry.mcp ?? null };
}

export function listInstalled(dir: string): Array<{ name: string } & LockEntry> {
  const lock = readLock(dir);
  return Object.entries(lock.packages).map(([name, entry]) => ({ name, ...entry }));
}
