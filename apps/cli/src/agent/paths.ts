// Where a tool path really points: resolved against the working folder with symlinks followed (the file tools
// run on this machine, not in the sandbox, so a link inside the folder must not carry a read outside it).
import { lstatSync, readlinkSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, relative, resolve, sep } from "node:path";

export class PathRefused extends Error {}

export interface Located {
  /** The path as given, made absolute. */
  abs: string;
  /** With every existing symlink on the way resolved. */
  real: string;
  inside: boolean;
  /** Relative to the working folder when inside, else the real absolute path: how the model and people see it. */
  shown: string;
}

/** Symbolic links followed on one path before it is refused (the kernel's own limit is 40). */
const MAX_LINKS = 40;

const present = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

/**
 * The path with every symlink on the way resolved, also a dangling one: a write through a link that points at a
 * missing file creates that file where the link points, so that is where the path is.
 */
function realOf(abs: string, hops = 0): string {
  if (hops > MAX_LINKS) throw new PathRefused(`${abs}: too many symbolic links`);
  let tail: string[] = [];
  let p = abs;
  while (!present(p)) {
    const parent = dirname(p);
    if (parent === p) break;
    tail = [basename(p), ...tail];
    p = parent;
  }
  if (lstatSync(p).isSymbolicLink()) {
    const target = resolve(realOf(dirname(p), hops + 1), readlinkSync(p));
    return realOf(resolve(target, ...tail), hops + 1);
  }
  return resolve(realpathSync(p), ...tail);
}

const within = (dir: string, p: string) => p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);

export class Paths {
  readonly realCwd: string;

  /** `hidden`: folders no tool may touch, wherever they are (MOGPLEX_HOME: auth.json and the logs). */
  constructor(
    readonly cwd: string,
    private readonly hidden: string[],
  ) {
    this.realCwd = realpathSync(cwd);
  }

  locate(p: string | undefined): Located {
    const raw = p === undefined || p === "" ? "." : p;
    if (raw.includes("\0")) throw new PathRefused("path must not contain NUL bytes");
    if (raw.length > 4096) throw new PathRefused("path is too long");
    const abs = isAbsolute(raw) ? resolve(raw) : resolve(this.cwd, raw);
    const real = realOf(abs);
    for (const h of this.hidden) {
      if (within(h, abs) || within(realOf(h), real)) {
        throw new PathRefused(
          `${raw} is in Mogplex's own folder (credentials and logs), which tools never touch`,
        );
      }
    }
    const inside = within(this.realCwd, real);
    const rel = relative(this.realCwd, real);
    // Outside the folder it is shown where it really lands (a link's target), which is what a person approves.
    return { abs, real, inside, shown: inside ? rel || "." : real };
  }

  /** For reads, listings and searches: only inside the working folder. */
  readable(p: string | undefined): Located {
    const l = this.locate(p);
    if (!l.inside) {
      throw new PathRefused(
        `${p} is outside the working folder ${this.cwd}; the agent reads only inside it (start mogplex in a parent folder to reach it)`,
      );
    }
    return l;
  }
}
