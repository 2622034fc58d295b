// What a stdio MCP server's sandbox can see of the host, and the registration check built on it: a command or a
// path-like argument the server could never open inside its sandbox is refused, naming the mount that fixes it.
import { lstatSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, posix, resolve } from "node:path";
import { systemBinds } from "../../sandboxes/provider/bwrap-args.js";
import { WORKSPACE } from "../../sandboxes/provider/index.js";
import { mountRefusal, within } from "./mounts.js";

/** PATH inside an MCP server's sandbox (sandboxed-launcher.ts sets it). */
export const SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin";
// The sandbox's own places: private, writable or synthetic, and empty of host files when it starts.
const OWN_PLACES = [WORKSPACE, "/tmp", "/dev", "/proc"];
const MAX_HOPS = 40;

/** Inside paths bound from the same host path: what the provider binds for every sandbox (system dirs, /etc). */
export function systemRoots(): string[] {
  const args = systemBinds();
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--ro-bind" || a === "--ro-bind-try" || a === "--symlink") {
      const dest = args[i + 2];
      if (dest) out.push(dest);
      i += 2;
    }
  }
  return out;
}

type Seen =
  | { kind: "visible"; exists: boolean }
  /** In the sandbox's own `place` (/tmp, /workspace…): not the host's file at that path. */
  | { kind: "own"; place: string; path: string; via?: string }
  /** `path` is what the sandbox can't see; `via` the symlink on the way there, if any. */
  | { kind: "hidden"; path: string; via?: string };

/** A model of the sandbox's filesystem: each root shows the host's content at the same path. */
export class SandboxView {
  private readonly roots: string[];

  constructor(mounts: readonly string[]) {
    this.roots = [...new Set([...systemRoots(), ...mounts])];
  }

  private rootOf(p: string): string | undefined {
    let best: string | undefined;
    for (const r of this.roots) if (within(p, r) && (!best || r.length > best.length)) best = r;
    return best;
  }

  /** Follows `p` (absolute, inside the sandbox) through symlinks the way the sandbox would. */
  see(p: string, via?: string, hops = 0): Seen {
    const root = this.rootOf(p);
    if (!root) {
      const own = OWN_PLACES.find((o) => within(p, o));
      if (own) return { kind: "own", place: own, path: p, ...(via ? { via } : {}) };
      // A directory on the way to a bound path exists inside (bubblewrap creates it).
      if (this.roots.some((r) => within(r, p))) return { kind: "visible", exists: true };
      return { kind: "hidden", path: p, ...(via ? { via } : {}) };
    }
    let host: string;
    try {
      // bubblewrap binds what the source resolves to.
      host = realpathSync(root);
    } catch {
      return { kind: "hidden", path: p, ...(via ? { via } : {}) };
    }
    const rest = p.slice(root.length).split("/").filter(Boolean);
    let inside = root;
    for (let i = 0; i < rest.length; i++) {
      const part = rest[i] as string;
      const next = posix.join(inside, part);
      host = join(host, part);
      let isLink = false;
      try {
        isLink = lstatSync(host).isSymbolicLink();
      } catch {
        return { kind: "visible", exists: false };
      }
      if (isLink) {
        if (hops >= MAX_HOPS) return { kind: "visible", exists: false };
        const target = readlinkSync(host);
        const followed = posix.resolve(inside, target, ...rest.slice(i + 1));
        return this.see(followed, via ?? p, hops + 1);
      }
      inside = next;
    }
    return { kind: "visible", exists: true };
  }
}

export interface RegistrationCheck {
  command: string;
  args: readonly string[];
  mounts: readonly string[];
}

export interface CheckOptions {
  /** The operator's MOGPLEX_MCP_STDIO_MOUNTS. */
  operatorMounts: readonly string[];
  privateDirs: readonly string[];
  /** How the fix is named: `--mount` (admin command) or `mounts` (API, web form). */
  flag: "--mount" | "mounts";
  /** The admin command's working directory, to say where a ./ argument would have pointed on the host. */
  cwd?: string;
}

const exists = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

function mountHint(hostPath: string, o: CheckOptions): string {
  let dir = dirname(hostPath);
  try {
    if (statSync(hostPath).isDirectory()) dir = hostPath;
  } catch {
    // not there (yet): its directory is what to mount
  }
  const refused = mountRefusal(dir, o.privateDirs);
  if (refused) return `it cannot be mounted from ${dir} (${refused}); install it elsewhere and mount that`;
  return addMount(dir, o);
}

const addMount = (dir: string, o: CheckOptions) =>
  o.flag === "--mount"
    ? `add --mount ${dir} (read-only)`
    : `add ${dir} to its mounts (read-only paths it may see)`;

function hiddenMessage(shown: string, seen: Extract<Seen, { kind: "hidden" }>, o: CheckOptions): string {
  const what =
    seen.via && seen.via !== seen.path
      ? `${shown} leads to ${seen.path}, which is not visible inside the MCP server's sandbox`
      : `${shown} is not visible inside the MCP server's sandbox`;
  return `${what}; ${mountHint(seen.path, o)}`;
}

const pathLike = (a: string) => a.startsWith("/") || a.startsWith("./") || a.startsWith("../");

/** The path-like part of an argument: the whole argument, or the value of `--name=value`. */
function pathOf(arg: string): string | null {
  if (pathLike(arg)) return arg;
  const m = /^--?[A-Za-z0-9][A-Za-z0-9_.-]*=(.+)$/.exec(arg);
  return m?.[1] && pathLike(m[1]) ? m[1] : null;
}

function checkCommand(view: SandboxView, command: string, o: CheckOptions): string | null {
  if (!command.includes("/")) {
    for (const dir of SANDBOX_PATH.split(":")) {
      const seen = view.see(posix.join(dir, command));
      if (seen.kind === "visible" && seen.exists) return null;
      if (seen.kind === "hidden" && seen.via) return hiddenMessage(command, seen, o);
    }
    return (
      `${command} is not on the MCP server sandbox's PATH (${SANDBOX_PATH}); give the command's absolute ` +
      `path and ${addMount("<its directory>", o)}`
    );
  }
  if (!isAbsolute(command)) {
    const start = `${command} is relative, and an MCP server starts in ${WORKSPACE} inside its sandbox (empty)`;
    if (!o.cwd) return `${start}; give its absolute path and ${addMount("<its directory>", o)}`;
    const host = resolve(o.cwd, command);
    return `${start}; give its absolute path ${host} and ${mountHint(host, o)}`;
  }
  const p = posix.normalize(command);
  const seen = view.see(p);
  if (seen.kind === "hidden") return hiddenMessage(command, seen, o);
  if (seen.kind === "own")
    return hiddenMessage(command, { ...seen, kind: "hidden" }, o).replace(
      "is not visible inside",
      `is not visible (the sandbox has its own, empty ${seen.place}) inside`,
    );
  if (!seen.exists) return `${command} does not exist on this host`;
  return null;
}

function checkArg(view: SandboxView, arg: string, o: CheckOptions): string | null {
  const raw = pathOf(arg);
  if (raw === null) return null;
  if (!isAbsolute(raw)) {
    // Resolved where the server runs: its sandbox's working directory, not wherever the command was typed.
    const inside = posix.resolve(WORKSPACE, raw);
    const seen = view.see(inside);
    if (seen.kind === "hidden") return hiddenMessage(raw, seen, o);
    const host = o.cwd ? resolve(o.cwd, raw) : null;
    if (seen.kind === "own" && host && exists(host)) {
      return (
        `${raw} is resolved inside the MCP server's sandbox, from ${WORKSPACE} (empty), not from ${o.cwd}; ` +
        `give the absolute path ${host} and ${mountHint(host, o)}`
      );
    }
    return null;
  }
  const p = posix.normalize(raw);
  const seen = view.see(p);
  if (seen.kind === "visible") return null;
  if (seen.kind === "own") {
    // The sandbox's own /tmp hides the host's: a host file there is one the server will never find.
    if ((seen.place === "/tmp" || seen.via) && exists(seen.path))
      return hiddenMessage(raw, { ...seen, kind: "hidden" }, o);
    return null;
  }
  // Not a host path at all (nothing there, not even its directory): probably not a path; let it through.
  if (seen.via || exists(seen.path) || exists(dirname(seen.path))) return hiddenMessage(raw, seen, o);
  return null;
}

/** The first problem with a stdio server's command and arguments in its sandbox, as one line; null when none. */
export function visibilityProblem(c: RegistrationCheck, o: CheckOptions): string | null {
  const view = new SandboxView([...o.operatorMounts, ...c.mounts]);
  const cmd = checkCommand(view, c.command, o);
  if (cmd) return cmd;
  for (const a of c.args) {
    const problem = checkArg(view, a, o);
    if (problem) return problem;
  }
  return null;
}
