// Per-sandbox cgroups (pids + memory) for a server running as root, where per-user rlimits do not bind.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// Why: a root server's sandbox uid maps to host uid 0, and the kernel exempts uid 0 from RLIMIT_NPROC, so a
// fork bomb inside would only stop at the host's pid limit. A pids cgroup caps the sandbox as a whole.
const ROOT = "/sys/fs/cgroup";

export interface CgroupLimits {
  processes: number;
  memoryMb: number;
}

export interface SandboxCgroup {
  /** The `cgroup.procs` files a process must join (one per v1 hierarchy, one for v2). */
  readonly procsFiles: readonly string[];
  pids(): number[];
  /** SIGKILLs every member until none is left (or the deadline passes); true when empty. */
  killAll(deadlineMs?: number): Promise<boolean>;
  /** Removes the cgroup; retried briefly, as a member that was just killed may not have left yet. */
  remove(): Promise<void>;
}

type Layout = { kind: "v1"; pids: string; memory: string | null } | { kind: "v2"; base: string };

function ownPath(controller: string | null): string | null {
  let text: string;
  try {
    text = readFileSync("/proc/self/cgroup", "utf8");
  } catch {
    return null;
  }
  for (const line of text.split("\n")) {
    const [, controllers, path] = line.split(":");
    if (path === undefined || controllers === undefined) continue;
    if (controller === null ? controllers === "" : controllers.split(",").includes(controller)) return path;
  }
  return null;
}

function detectLayout(): Layout | null {
  if (existsSync(join(ROOT, "cgroup.controllers"))) {
    const own = ownPath(null);
    if (own === null) return null;
    // v2 forbids processes in a cgroup whose children use controllers, except at the root: nest under our own
    // cgroup only when we are at the root, otherwise beside it is not ours to manage.
    return own === "/" ? { kind: "v2", base: join(ROOT, "mogplex") } : null;
  }
  const pidsOwn = ownPath("pids");
  if (pidsOwn === null || !existsSync(join(ROOT, "pids"))) return null;
  const memOwn = ownPath("memory");
  return {
    kind: "v1",
    // Under our own cgroups, so the sandboxes stay inside whatever limits the server itself runs under.
    pids: join(ROOT, "pids", pidsOwn, "mogplex"),
    memory:
      memOwn !== null && existsSync(join(ROOT, "memory")) ? join(ROOT, "memory", memOwn, "mogplex") : null,
  };
}

function readPids(file: string): number[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Cgroup implements SandboxCgroup {
  constructor(
    private readonly dirs: string[],
    readonly procsFiles: string[],
  ) {}

  pids(): number[] {
    return [...new Set(this.procsFiles.flatMap(readPids))];
  }

  async killAll(deadlineMs = 5_000): Promise<boolean> {
    const until = Date.now() + deadlineMs;
    const v2Kill = this.dirs.map((d) => join(d, "cgroup.kill")).find((f) => existsSync(f));
    for (;;) {
      if (v2Kill) {
        try {
          writeFileSync(v2Kill, "1");
        } catch {
          // Older v2 kernels lack cgroup.kill; fall through to signalling each member.
        }
      }
      const pids = this.pids();
      if (pids.length === 0) return true;
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      if (Date.now() > until) return false;
      await sleep(20);
    }
  }

  async remove(): Promise<void> {
    for (const d of this.dirs) {
      for (let attempt = 0; attempt < 10; attempt++) {
        try {
          rmdirSync(d);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "EBUSY") break; // gone already, or not ours to remove
          await sleep(50);
        }
      }
    }
  }
}

export class Cgroups {
  private constructor(private readonly layout: Layout) {}

  /** The manager when this process may create cgroups that limit pids, else null. */
  static detect(): Cgroups | null {
    const layout = detectLayout();
    if (!layout) return null;
    const c = new Cgroups(layout);
    try {
      // A probe proves we may create, limit and remove here (a read-only or foreign cgroup fs fails).
      const probe = c.create(`probe-${process.pid}`, { processes: 16, memoryMb: 64 });
      void probe.remove();
      return c;
    } catch {
      return null;
    }
  }

  get kind(): "v1" | "v2" {
    return this.layout.kind;
  }

  /** The cgroup a sandbox named `name` had, if it still exists (after a worker crash). */
  existing(name: string): SandboxCgroup | null {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) return null;
    const dirs =
      this.layout.kind === "v2"
        ? [join(this.layout.base, name)]
        : [join(this.layout.pids, name), ...(this.layout.memory ? [join(this.layout.memory, name)] : [])];
    const present = dirs.filter((d) => existsSync(d));
    return present.length > 0
      ? new Cgroup(
          present,
          present.map((d) => join(d, "cgroup.procs")),
        )
      : null;
  }

  create(name: string, limits: CgroupLimits): SandboxCgroup {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new Error("invalid cgroup name");
    const memoryBytes = String(limits.memoryMb * 1024 * 1024);
    if (this.layout.kind === "v2") {
      const base = this.layout.base;
      mkdirSync(base, { recursive: true });
      for (const parent of [ROOT, base]) {
        for (const controller of ["+pids", "+memory"]) {
          try {
            writeFileSync(join(parent, "cgroup.subtree_control"), controller);
          } catch {
            // Already enabled, or not available here; pids.max below is what must exist.
          }
        }
      }
      const dir = join(base, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "pids.max"), String(limits.processes));
      try {
        writeFileSync(join(dir, "memory.max"), memoryBytes);
      } catch {
        // No memory controller delegated: the rlimits inside still apply.
      }
      return new Cgroup([dir], [join(dir, "cgroup.procs")]);
    }
    const dirs: string[] = [];
    const pidsDir = join(this.layout.pids, name);
    mkdirSync(pidsDir, { recursive: true });
    dirs.push(pidsDir);
    writeFileSync(join(pidsDir, "pids.max"), String(limits.processes));
    if (this.layout.memory) {
      const memDir = join(this.layout.memory, name);
      try {
        mkdirSync(memDir, { recursive: true });
        writeFileSync(join(memDir, "memory.limit_in_bytes"), memoryBytes);
        dirs.push(memDir);
      } catch {
        // Memory accounting is a bonus on v1 (the process cap is what contains a fork bomb).
      }
    }
    return new Cgroup(
      dirs,
      dirs.map((d) => join(d, "cgroup.procs")),
    );
  }
}
