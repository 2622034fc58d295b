// Which host uid/gid sandboxed processes run as, and handing a prepared workspace over to that user.
import { lchownSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { HostIds } from "./disk.js";

/**
 * The host uid/gid a root server's sandboxes run as unless MOGPLEX_SANDBOX_UID/GID say otherwise. Why a fixed
 * id no account uses (63999 sits in the range Debian reserves for on-demand global allocation): under bubblewrap
 * the sandbox user *is* whatever host uid started bwrap, so a root server must start it as someone unprivileged,
 * and sharing an id with a real account or daemon (say nobody) would let that account reach the sandboxes'
 * files and processes.
 */
export const DEFAULT_SANDBOX_HOST_ID = 63_999;

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Gives a tree the engine prepared as root (a fresh clone) to the sandbox user. Runs before any sandboxed
 * process exists, so nothing can swap a directory for a symlink meanwhile; links are re-owned, never followed.
 */
export function chownTree(path: string, ids: HostIds): void {
  lchownSync(path, ids.uid, ids.gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) chownTree(join(path, name), ids);
}
