// The bubblewrap sandbox provider: each command runs in fresh namespaces over the sandbox's own workspace.
import { type ChildProcess, spawn } from "node:child_process";
import {
  accessSync,
  chmodSync,
  constants,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import {
  bwrapOptions,
  FD,
  limitedCommand,
  SANDBOX_UID,
  type SandboxDirs,
  sandboxDirs,
  systemBinds,
} from "./bwrap-args.js";
import { Cgroups, type SandboxCgroup } from "./cgroup.js";
import { type HostIds, SandboxDisk, unmount } from "./disk.js";
import type { EgressProxy } from "./egress.js";
import { chownTree, DEFAULT_SANDBOX_HOST_ID, runningAsRoot } from "./host-user.js";
import { compileSeccomp } from "./seccomp.js";
import {
  type ExecRequest,
  type ExecResult,
  type OpenRequest,
  type ProviderStatus,
  type SandboxHandle,
  type SandboxProcess,
  type SandboxProvider,
  type SandboxSpec,
  SandboxUnavailableError,
  WORKSPACE,
} from "./types.js";

const DEFAULT_MAX_OUTPUT = 256 * 1024;
const INSTALL_HINT =
  "install bubblewrap on the machine running the worker (Debian/Ubuntu: apt-get install bubblewrap; " +
  "Fedora: dnf install bubblewrap) or point MOGPLEX_SANDBOX_BWRAP at it";

export interface BwrapProviderOptions {
  /** Binary name (looked up on hostPath) or absolute path. */
  bwrap: string;
  hostPath: string;
  /** Starts the per-sandbox egress proxy when a sandbox names allowed hosts. */
  egress?: (socketPath: string, hosts: readonly string[]) => Promise<EgressProxy>;
  /**
   * Host uid/gid the sandboxes run as when the server is root (MOGPLEX_SANDBOX_UID/GID); never 0. Defaults to
   * DEFAULT_SANDBOX_HOST_ID. A server that is not root runs them as itself and can't honour a different id.
   */
  hostUser?: HostIds;
  /** Root servers: where each sandbox's own filesystem is mounted (must be reachable by the sandbox user). */
  mountBase?: string;
}

/** Where a root server mounts sandbox filesystems: outside the data dir, which stays 0700. */
export const DEFAULT_MOUNT_BASE = "/run/mogplex/sandboxes";

/** How this machine runs sandboxes, settled once by the probe. */
interface Mode {
  bin: string;
  seccomp: Buffer;
  /** Set when the server is root: the unprivileged host ids, and the command that switches to them. */
  privileged: { ids: HostIds; setpriv: string; mountBase: string } | null;
}

function which(bin: string, path: string): string | null {
  const candidates = isAbsolute(bin) ? [bin] : path.split(delimiter).map((d) => join(d, bin));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // keep looking
    }
  }
  return null;
}

interface Spawned {
  child: ChildProcess;
  done: Promise<unknown>;
}

export class BwrapProvider implements SandboxProvider {
  readonly name = "bwrap";
  private status: Promise<ProviderStatus> | undefined;
  private mode: Mode | null = null;
  private cgroups: Cgroups | null = null;

  constructor(private readonly o: BwrapProviderOptions) {}

  check(): Promise<ProviderStatus> {
    this.status ??= this.probe();
    return this.status;
  }

  private async probe(): Promise<ProviderStatus> {
    if (process.platform !== "linux") {
      return { ok: false, reason: "bubblewrap sandboxes need Linux; run workers on a Linux machine" };
    }
    const bin = which(this.o.bwrap, this.o.hostPath);
    if (!bin) return { ok: false, reason: `bubblewrap (${this.o.bwrap}) was not found: ${INSTALL_HINT}` };
    if (!which("/bin/bash", "")) {
      return {
        ok: false,
        reason: "bash is required inside sandboxes but /bin/bash is missing on this machine",
      };
    }
    let seccomp: Buffer;
    try {
      seccomp = (await compileSeccomp()).bpf;
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    let privileged: Mode["privileged"] = null;
    let processLimit: ProviderStatus["processLimit"] = "rlimit";
    if (runningAsRoot()) {
      const ids = this.o.hostUser ?? { uid: DEFAULT_SANDBOX_HOST_ID, gid: DEFAULT_SANDBOX_HOST_ID };
      if (ids.uid === 0 || ids.gid === 0) {
        return { ok: false, reason: "MOGPLEX_SANDBOX_UID and MOGPLEX_SANDBOX_GID must not be 0 (root)" };
      }
      const setpriv = which("setpriv", this.adminPath());
      const missing = ["mkfs.ext4", "mount", "umount"].filter((t) => !which(t, this.adminPath()));
      if (!setpriv || missing.length > 0) {
        return {
          ok: false,
          reason:
            `the server runs as root, so sandboxes must be started as an unprivileged user with a disk cap, ` +
            `which needs ${[...(setpriv ? [] : ["setpriv"]), ...missing].join(", ")}: install util-linux and ` +
            "e2fsprogs, or run the server as an unprivileged user",
        };
      }
      this.cgroups = Cgroups.detect();
      if (!this.cgroups) {
        return {
          ok: false,
          reason:
            "the server runs as root, where per-user process limits do not bind and no writable cgroup (pids) " +
            "was found to cap sandbox processes; run the server as an unprivileged user (recommended) or " +
            "give it a writable cgroup hierarchy",
        };
      }
      processLimit = "cgroup";
      const mountBase = this.o.mountBase ?? DEFAULT_MOUNT_BASE;
      try {
        makeTraversable(mountBase);
      } catch (err) {
        return {
          ok: false,
          reason: `cannot prepare ${mountBase} for sandbox filesystems: ${(err as Error).message}`,
        };
      }
      privileged = { ids, setpriv, mountBase };
    } else if (this.o.hostUser && this.o.hostUser.uid !== process.getuid?.()) {
      return {
        ok: false,
        reason:
          "MOGPLEX_SANDBOX_UID/GID take effect only when the server runs as root; unset them (an unprivileged " +
          "server runs its sandboxes as itself)",
      };
    }
    const mode: Mode = { bin, seccomp, privileged };
    const version = await this.runHost([bin, "--version"]);
    // A real sandboxed `true`, started exactly as commands will be (user switch, seccomp filter), proves user
    // namespaces are allowed here (a sysctl can disable them) and that the filter loads.
    const probe = await this.runHost(
      [
        ...switchUser(mode),
        bin,
        "--unshare-all",
        "--unshare-user",
        "--die-with-parent",
        ...systemBinds(),
        "--seccomp",
        String(FD.seccomp),
        "/bin/sh",
        "-c",
        "exit 0",
      ],
      seccomp,
    );
    if (probe.code !== 0) {
      return {
        ok: false,
        reason:
          `bubblewrap cannot create a sandbox here (${probe.stderr.trim().slice(0, 200) || `exit ${probe.code}`}); ` +
          "enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces)",
      };
    }
    this.mode = mode;
    return {
      ok: true,
      processLimit,
      diskLimit: privileged ? "filesystem" : "none",
      hostUid: privileged ? privileged.ids.uid : (process.getuid?.() ?? null),
      version: version.stdout.trim(),
    };
  }

  /** Where root's tools (mkfs, mount, setpriv) are looked up: the host PATH plus the sbin directories. */
  private adminPath(): string {
    return `${this.o.hostPath}${delimiter}/usr/sbin${delimiter}/sbin`;
  }

  private runHost(
    argv: string[],
    seccomp?: Buffer,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const [cmd, ...rest] = argv;
      if (!cmd) return resolve({ code: null, stdout: "", stderr: "" });
      const child = spawn(cmd, rest, {
        env: { PATH: this.o.hostPath },
        stdio: ["ignore", "pipe", "pipe", "ignore", "ignore", seccomp ? "pipe" : "ignore"],
      });
      if (seccomp) {
        const pipe = (child.stdio as unknown[])[FD.seccomp] as NodeJS.WritableStream | null;
        pipe?.on("error", () => undefined);
        pipe?.end(seccomp);
      }
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.on("error", (err) => resolve({ code: null, stdout, stderr: err.message }));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  async create(spec: SandboxSpec): Promise<SandboxHandle> {
    const status = await this.check();
    const mode = this.mode;
    if (!status.ok || !mode) throw new SandboxUnavailableError(status.reason ?? "sandbox unavailable");
    const p = mode.privileged;
    const dirs = sandboxDirs(spec.root, p ? join(p.mountBase, spec.id) : undefined);
    for (const d of [dirs.root, dirs.etc, dirs.host]) mkdirSync(d, { recursive: true, mode: 0o700 });
    let disk: SandboxDisk | null = null;
    let cgroup: SandboxCgroup | null = null;
    let egress: EgressProxy | null = null;
    try {
      if (p) {
        disk = new SandboxDisk(join(dirs.root, "disk.img"), dirs.fs, this.adminPath());
        // The workspace stays root's until the first command: the engine clones into it as root first.
        await disk.create(spec.limits.diskMb, [
          { name: "workspace", owner: { uid: 0, gid: 0 } },
          { name: "tmp", owner: p.ids },
          { name: "out", owner: p.ids },
        ]);
      } else {
        for (const d of [dirs.fs, dirs.workspace, dirs.tmp, dirs.out])
          mkdirSync(d, { recursive: true, mode: 0o700 });
      }
      // Synthetic identity files: tools that look up their user find one, and no host account is listed.
      writeFileSync(
        join(dirs.etc, "passwd"),
        `root:x:0:0::/nonexistent:/usr/sbin/nologin\nsandbox:x:${SANDBOX_UID}:${SANDBOX_UID}::/tmp:/bin/bash\n`,
      );
      writeFileSync(join(dirs.etc, "group"), `root:x:0:\nsandbox:x:${SANDBOX_UID}:\n`);
      writeFileSync(join(dirs.etc, "hosts"), "127.0.0.1 localhost mogplex-sandbox\n::1 localhost\n");
      cgroup = this.cgroups?.create(`mogplex-${spec.id}`, spec.limits) ?? null;
      if (spec.egressHosts && spec.egressHosts.length > 0) {
        if (!this.o.egress)
          throw new SandboxUnavailableError("egress allowlists are not available on this worker");
        if (!which("socat", "/usr/bin:/bin")) {
          throw new SandboxUnavailableError(
            "egress allowlists need socat: install it (apt-get install socat)",
          );
        }
        mkdirSync(dirs.egress, { recursive: true, mode: p ? 0o711 : 0o700 });
        const socket = join(dirs.egress, "proxy.sock");
        egress = await this.o.egress(socket, spec.egressHosts);
        // The sandbox user connects to it; only that sandbox can reach this directory.
        if (p) chmodSync(socket, 0o666);
      }
    } catch (err) {
      await egress?.close();
      await cgroup?.remove();
      await disk?.remove().catch(() => undefined);
      rmSync(dirs.root, { recursive: true, force: true });
      throw err;
    }
    return new BwrapSandbox(mode, spec, dirs, cgroup, egress, disk);
  }

  async cleanup(id: string, root: string): Promise<void> {
    await this.check();
    const cgroup = this.cgroups?.existing(`mogplex-${id}`);
    if (cgroup) {
      await cgroup.killAll();
      await cgroup.remove();
    }
    const p = this.mode?.privileged;
    if (p && /^[A-Za-z0-9_-]{1,64}$/.test(id)) await unmount(join(p.mountBase, id), this.adminPath());
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Creates `dir` (0711: the sandbox user may pass through, not list) and checks that every directory above it can
 * be passed through by others too, since bwrap runs as the sandbox user when it binds what lies below.
 */
function makeTraversable(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  chmodSync(dir, 0o711);
  for (let d = dirname(dir); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0)
      throw new Error(`${d} is not searchable by other users (chmod o+x)`);
    if (d === dirname(d)) break;
  }
}

/** The command prefix that starts bwrap as the unprivileged sandbox user (nothing for a non-root server). */
function switchUser(mode: Mode): string[] {
  const p = mode.privileged;
  if (!p) return [];
  return [
    p.setpriv,
    `--reuid=${p.ids.uid}`,
    `--regid=${p.ids.gid}`,
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
    "--",
  ];
}

class BwrapSandbox implements SandboxHandle {
  readonly id: string;
  readonly workspace: string;
  readonly outDir: string;
  private readonly running = new Set<Spawned>();
  private dead = false;
  private handedOver = false;
  private readonly files: { passwd: Buffer; group: Buffer; hosts: Buffer };

  constructor(
    private readonly mode: Mode,
    private readonly spec: SandboxSpec,
    private readonly dirs: SandboxDirs,
    private readonly cgroup: SandboxCgroup | null,
    private readonly egress: EgressProxy | null,
    private readonly disk: SandboxDisk | null,
  ) {
    this.id = spec.id;
    this.workspace = dirs.workspace;
    this.outDir = dirs.out;
    this.files = {
      passwd: readFileSync(join(dirs.etc, "passwd")),
      group: readFileSync(join(dirs.etc, "group")),
      hosts: readFileSync(join(dirs.etc, "hosts")),
    };
  }

  pids(): number[] {
    const own = [...this.running].map((s) => s.child.pid).filter((p): p is number => p !== undefined);
    return [...new Set([...own, ...(this.cgroup?.pids() ?? [])])];
  }

  exec(req: ExecRequest): Promise<ExecResult> {
    if (this.dead) return Promise.reject(new SandboxUnavailableError("the sandbox has been stopped"));
    if (req.signal?.aborted) return Promise.reject(new SandboxUnavailableError("aborted before start"));
    const child = this.start(req);
    const done = this.collect(child, req);
    const spawned = { child, done };
    this.running.add(spawned);
    return done.finally(() => this.running.delete(spawned));
  }

  async open(req: OpenRequest): Promise<SandboxProcess> {
    if (this.dead) throw new SandboxUnavailableError("the sandbox has been stopped");
    const child = this.start(req);
    const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
      child.once("close", (exitCode, signal) => resolve({ exitCode, signal }));
    });
    const spawned = { child, done: exited };
    this.running.add(spawned);
    void exited.then(() => this.running.delete(spawned));
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (err) =>
        reject(new SandboxUnavailableError(`could not start bubblewrap: ${err.message}`)),
      );
    });
    child.on("error", () => undefined);
    // stderr may carry whatever the process prints, secrets included: drained, never kept.
    child.stderr?.resume();
    const { stdin, stdout } = child;
    if (!stdin || !stdout) throw new SandboxUnavailableError("the sandboxed process has no stdio");
    return {
      pid: child.pid,
      stdin,
      stdout,
      exited,
      kill: async () => {
        killGroup(child);
        await exited;
      },
    };
  }

  /** Spawns bwrap for one invocation: options over fd 3, the dead-man switch on fd 4, stdin/stdout/stderr piped. */
  private start(req: OpenRequest & { extraBinds?: ExecRequest["extraBinds"] }): ChildProcess {
    const env = { ...this.spec.env };
    let script = req.script;
    if (this.egress) {
      // Each invocation has its own network namespace; a loopback listener inside forwards to the host proxy.
      Object.assign(env, this.egress.env);
      script = `${this.egress.preamble}\n${script}`;
    }
    // A root server cloned into the workspace as root: the sandbox user takes it over before anything runs.
    const p = this.mode.privileged;
    if (p && !this.handedOver) {
      chownTree(this.dirs.workspace, p.ids);
      this.handedOver = true;
    }
    const options = bwrapOptions({
      dirs: this.dirs,
      env,
      cwd: req.cwd ?? WORKSPACE,
      extraBinds: req.extraBinds ?? [],
      roBinds: [
        ...(this.spec.roBinds ?? []),
        ...(this.egress ? [{ host: this.egress.socketDir, inside: this.egress.insideDir }] : []),
      ],
    });
    const command = [
      ...switchUser(this.mode),
      this.mode.bin,
      "--args",
      "3",
      "--",
      ...limitedCommand(this.spec.limits, script, req.args ?? []),
    ];
    // Root: join the sandbox's cgroup before bwrap starts, so every descendant is born inside it.
    const argv = this.cgroup
      ? [
          "/bin/sh",
          "-c",
          'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"',
          "mogplex-cgroup",
          String(this.cgroup.procsFiles.length),
          ...this.cgroup.procsFiles,
          ...command,
        ]
      : command;
    const [cmd, ...rest] = argv;
    // detached: its own process group, so a kill reaches bwrap and the wrapper together. No environment and
    // cwd "/": bwrap's init inside keeps its own, which the sandbox can read from /proc/1/environ.
    const child = spawn(cmd as string, rest, {
      env: {},
      cwd: "/",
      // 3: bwrap's options; 4: the dead-man switch, held open (never written) for as long as we live;
      // 5: the seccomp program; 6-8: /etc/passwd, group and hosts (see FD).
      stdio: ["pipe", "pipe", "pipe", "pipe", "pipe", "pipe", "pipe", "pipe", "pipe"],
      detached: true,
    });
    const feed = (fd: number, data: Buffer) => {
      const pipe = child.stdio[fd] as NodeJS.WritableStream | null;
      pipe?.on("error", () => undefined);
      pipe?.end(data);
    };
    feed(FD.seccomp, this.mode.seccomp);
    feed(FD.passwd, this.files.passwd);
    feed(FD.group, this.files.group);
    feed(FD.hosts, this.files.hosts);
    (child.stdio[4] as NodeJS.ReadableStream | null)?.on("error", () => undefined);
    const argsPipe = child.stdio[3] as NodeJS.WritableStream | null;
    argsPipe?.on("error", () => undefined);
    argsPipe?.end(Buffer.from(`${options.join("\0")}\0`));
    child.stdin?.on("error", () => undefined);
    return child;
  }

  private collect(child: ChildProcess, req: ExecRequest): Promise<ExecResult> {
    const started = Date.now();
    const max = req.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const kept = { stdout: 0, stderr: 0 };
    const dropped = { stdout: 0, stderr: 0 };
    const collect = (which: "stdout" | "stderr") => (d: Buffer) => {
      const room = max - kept[which];
      if (room > 0) out[which].push(room >= d.length ? d : d.subarray(0, room));
      kept[which] += Math.min(Math.max(room, 0), d.length);
      dropped[which] += Math.max(0, d.length - Math.max(room, 0));
    };
    child.stdout?.on("data", collect("stdout"));
    child.stderr?.on("data", collect("stderr"));
    child.stdin?.end(req.stdin ?? "");

    let timedOut = false;
    let aborted = false;
    const kill = () => killGroup(child);
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, req.timeoutMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    req.signal?.addEventListener("abort", onAbort, { once: true });
    return new Promise<ExecResult>((resolve, reject) => {
      child.on("error", (err) => {
        clearTimeout(timer);
        req.signal?.removeEventListener("abort", onAbort);
        reject(new SandboxUnavailableError(`could not start bubblewrap: ${err.message}`));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        req.signal?.removeEventListener("abort", onAbort);
        resolve({
          exitCode: code,
          signal,
          stdout: Buffer.concat(out.stdout).toString("utf8"),
          stderr: Buffer.concat(out.stderr).toString("utf8"),
          droppedBytes: dropped,
          timedOut,
          aborted: aborted || (this.dead && !timedOut),
          durationMs: Date.now() - started,
        });
      });
    });
  }

  async kill(): Promise<void> {
    this.dead = true;
    const waits = [...this.running].map((s) => {
      killGroup(s.child);
      return s.done.catch(() => undefined);
    });
    await Promise.all(waits);
    // Belt and braces: anything that slipped out of the process group is still in the cgroup.
    await this.cgroup?.killAll();
  }

  async destroy(): Promise<void> {
    await this.kill();
    await this.egress?.close();
    await this.cgroup?.remove();
    await this.disk?.remove();
    rmSync(this.spec.root, { recursive: true, force: true });
  }
}

/**
 * SIGKILL to the invocation's process group. bwrap's init inside the sandbox has PDEATHSIG set
 * (--die-with-parent), and when a PID namespace's init dies the kernel kills every process in it.
 */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}
