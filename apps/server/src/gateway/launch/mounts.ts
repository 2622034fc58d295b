// Which host paths may be bound read-only into stdio MCP servers' sandboxes: the operator's
// MOGPLEX_MCP_STDIO_MOUNTS (config.ts) and each connection's own mounts (checked at registration and at launch).
import { realpathSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { exposesPrivate, within } from "../../security/host-paths.js";

export { exposesPrivate, within };

// Never bound, nor anything under them: kernel and device views, root's home, and the socket directories (a
// read-only bind still lets a process connect to a socket, e.g. a container daemon's).
const NEVER_UNDER = ["/proc", "/sys", "/dev", "/root", "/run", "/var/run"];
// Never bound whole: every user's files or the host's own state; a directory below them is fine.
const NEVER_WHOLE = ["/", "/etc", "/home", "/tmp", "/var", "/var/tmp"];

/**
 * Where `admin add-mcp-server --package` unpacks verified MCP packages (files 0444, folders 0555): a folder of the
 * data dir. A package folder there is the one part of the data dir a stdio server may see: the launcher copies it
 * into the server's own sandbox filesystem and binds that copy read-only, so the data dir itself is never bound.
 */
export const PACKAGE_STORE = "mcp-packages";

/** True when `p` is a package folder inside a private dir's package store (`<data-dir>/mcp-packages/…`). */
export function isPackageMount(p: string, privateDirs: readonly string[]): boolean {
  return privateDirs.some((d) => {
    const store = join(d, PACKAGE_STORE);
    return p !== store && within(p, store);
  });
}

/**
 * Why `p` (absolute, normalised) may not be mounted into an MCP server's sandbox, or null when it may. `packages`:
 * a package folder of the store is allowed (only the admin command's `--package` registers one).
 */
export function mountRefusal(
  p: string,
  privateDirs: readonly string[],
  o: { packages?: boolean } = {},
): string | null {
  if (exposesPrivate(p, privateDirs) && !(o.packages && isPackageMount(p, privateDirs)))
    return "it would expose the server's data directory to MCP servers";
  const under = NEVER_UNDER.find((d) => within(p, d));
  if (under) return `nothing under ${under} is ever mounted into a sandbox`;
  if (NEVER_WHOLE.includes(p))
    return `${p} is never mounted whole; mount the directory the server is installed in`;
  return null;
}

export class MountError extends Error {}

/**
 * A connection's mount as given by a person: absolute, normalised, existing now, and neither it nor what it
 * resolves to (symlinks) refused. `flag` names the field in messages (`--mount` or `mounts`); `cwd` (the
 * admin command's working directory) lets a relative path's message suggest the absolute one.
 */
export function checkMount(
  raw: string,
  privateDirs: readonly string[],
  o: { flag: string; cwd?: string; packages?: boolean },
): string {
  if (!isAbsolute(raw)) {
    const guess = o.cwd ? `, e.g. ${o.flag} ${resolve(o.cwd, raw)}` : "";
    throw new MountError(`${o.flag} ${raw} is not an absolute path; give the full path${guess}`);
  }
  const p = resolve(raw);
  const refused = mountRefusal(p, privateDirs, o);
  if (refused) throw new MountError(`${o.flag} ${p} is refused: ${refused}`);
  try {
    statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MountError(
      code === "ENOENT" || code === "ENOTDIR"
        ? `${o.flag} ${p} does not exist on this host; create it (or fix the path) first`
        : `${o.flag} ${p} cannot be read on this host (${code ?? "error"})`,
    );
  }
  const real = realpathSync(p);
  const realRefused = real === p ? null : mountRefusal(real, privateDirs, o);
  if (realRefused)
    throw new MountError(`${o.flag} ${p} resolves to ${real}, which is refused: ${realRefused}`);
  return p;
}

/** Normalised, de-duplicated mounts (order kept), each checked; the first bad one throws MountError. */
export function checkMounts(
  raw: readonly string[],
  privateDirs: readonly string[],
  o: { flag: string; cwd?: string; packages?: boolean },
): string[] {
  return [...new Set(raw.map((m) => checkMount(m, privateDirs, o)))];
}

/**
 * Why the sandbox's host user can't reach `p` (bubblewrap binds it as that user: a root server runs sandboxes
 * unprivileged), or null. Every directory on the way needs search permission, the mount itself read (and search,
 * for a directory). Judged by owner and other bits: the sandbox user belongs to no group that matters.
 */
export function unreadableBy(p: string, uid: number): string | null {
  let real: string;
  try {
    real = realpathSync(p);
  } catch {
    return null; // missing: said elsewhere
  }
  const parts = real.split("/").filter(Boolean);
  const chain = ["/", ...parts.map((_, i) => `/${parts.slice(0, i + 1).join("/")}`)];
  for (const [i, d] of chain.entries()) {
    const st = statSync(d);
    const need = i < chain.length - 1 ? 1 : st.isDirectory() ? 5 : 4;
    const bits = st.uid === uid ? (st.mode >> 6) & 7 : st.mode & 7;
    if ((bits & need) !== need) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
      return (
        `${p} is not readable by the sandbox's user (uid ${uid}): ${d} is ${mode}, owned by uid ${st.uid}; ` +
        "let that user read it (e.g. chmod o+rx on it and the directories above) or mount a copy it can read"
      );
    }
  }
  return null;
}

/**
 * At launch: a stored mount must still exist and still not resolve into a refused place. A package folder passes:
 * only the admin command registers one, and the launcher binds a copy of it, never the data dir.
 */
export function launchMountProblem(p: string, privateDirs: readonly string[]): string | null {
  let real: string;
  try {
    real = realpathSync(p);
  } catch {
    return `mount ${p} no longer exists on this host`;
  }
  const refused =
    mountRefusal(p, privateDirs, { packages: true }) ?? mountRefusal(real, privateDirs, { packages: true });
  return refused ? `mount ${p} is refused now (${real}): ${refused}` : null;
}
