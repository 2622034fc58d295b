// One bubblewrap sandbox: each command (or long-lived process) runs in fresh namespaces over its workspace.
import { type ChildProcess, spawn } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bwrapOptions, FD, limitedCommand, type SandboxDirs } from "./bwrap-args.js";
import type { SandboxCgroup } from "./cgroup.js";
import type { HostIds, SandboxDisk } from "./disk.js";
import type { EgressProxy } from "./egress.js";
import { chownTree } from "./host-user.js";
import { NamespaceDisk } from "./keeper.js";
import { BRIDGE_INSIDE, bridgePreamble, connectBridge } from "./port-bridge.js";
import {
  type ExecRequest,
  type ExecResult,
  type OpenRequest,
  type SandboxHandle,
  type SandboxProcess,
  type SandboxSpec,
  SandboxUnavailableError,
  WORKSPACE,
} from "./types.js";

const DEFAULT_MAX_OUTPUT = 256 * 1024;

/** How this machine runs sandboxes, settled once by the probe. */
export interface Mode {
  bin: string;
  seccomp: Buffer;
  /** Set when the server is root: the unprivileged host ids, and the command that switches to them. */
  privileged: { ids: HostIds; setpriv: string; mountBase: string } | null;
  /** Set when the server is not root: the tools that give each sandbox its tmpfs (see keeper.ts). */
  keeperTools: { unshare: string; nsenter: string } | null;
}

interface Spawned {
  child: ChildProcess;
  done: Promise<unknown>;
}

/** The command prefix that starts bwrap as the unprivileged sandbox user (nothing for a non-root server). */
export function switchUser(mode: Mode): string[] {
  const p = mode.privileged;
  return p ? setprivPrefix(p.setpriv, p.ids) : [];
}

/** setpriv to an unprivileged host user with no capabilities, no supplementary groups, no new privileges. */
export function setprivPrefix(setpriv: string, ids: HostIds): string[] {
  return [
    setpriv,
    `--reuid=${ids.uid}`,
    `--regid=${ids.gid}`,
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
    "--",
  ];
}

export class BwrapSandbox implements SandboxHandle {
  readonly id: string;
  readonly workspace: string;
  readonly outDir: string;
  private readonly running = new Set<Spawned>();
  private dead = false;
  private handedOver = false;
  private bridges = 0;
  private readonly files: { passwd: Buffer; group: Buffer; hosts: Buffer };

  constructor(
    private readonly mode: Mode,
    private readonly spec: SandboxSpec,
    private readonly dirs: SandboxDirs,
    private readonly cgroup: SandboxCgroup | null,
    private readonly egress: EgressProxy | null,
    private readonly disk: SandboxDisk | NamespaceDisk | null,
  ) {
    this.id = spec.id;
    // An unprivileged server's sandbox filesystem exists only in the keeper's namespace: reached through /proc.
    const keeper = disk instanceof NamespaceDisk ? disk : null;
    this.workspace = keeper ? keeper.hostView(dirs.workspace) : dirs.workspace;
    this.outDir = keeper ? keeper.hostView(dirs.out) : dirs.out;
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
    let child: ChildProcess;
    try {
      child = this.start(req);
    } catch (err) {
      return Promise.reject(err);
    }
    const done = this.collect(child, req);
    const spawned = { child, done };
    this.running.add(spawned);
    return done.finally(() => this.running.delete(spawned));
  }

  async open(req: OpenRequest): Promise<SandboxProcess> {
    if (this.dead) throw new SandboxUnavailableError("the sandbox has been stopped");
    const bridge = req.exposePort === undefined ? null : this.bridgeDir();
    const child = this.start(
      bridge && req.exposePort !== undefined
        ? {
            ...req,
            script: `${bridgePreamble(req.exposePort)}\n${req.script}`,
            extraBinds: [{ host: bridge, inside: BRIDGE_INSIDE }],
          }
        : req,
    );
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
    // stderr may carry whatever the process prints, secrets included: the caller's to bound and redact, else
    // drained and never kept.
    if (req.onStderr) child.stderr?.on("data", req.onStderr);
    else child.stderr?.resume();
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
      ...(bridge ? { connectPort: () => connectBridge(bridge) } : {}),
    };
  }

  /**
   * A fresh folder for one invocation's port bridge, bound read-write into that invocation only. It lies where
   * the egress folder does: reachable by the sandbox user on a root server, outside the keeper's tmpfs otherwise.
   */
  private bridgeDir(): string {
    if (!existsSync("/usr/bin/socat") && !existsSync("/bin/socat")) {
      throw new SandboxUnavailableError(
        "exposing a sandbox port needs socat: install it (apt-get install socat)",
      );
    }
    const p = this.mode.privileged;
    mkdirSync(this.dirs.ports, { recursive: true, mode: p ? 0o711 : 0o700 });
    const dir = join(this.dirs.ports, String(++this.bridges));
    mkdirSync(dir, { mode: 0o700 });
    if (p) chownSync(dir, p.ids.uid, p.ids.gid);
    return dir;
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
    const keeper = this.disk instanceof NamespaceDisk ? this.disk : null;
    const options = bwrapOptions({
      dirs: this.dirs,
      env,
      cwd: req.cwd ?? WORKSPACE,
      // Paths the caller got from this handle (outDir) are /proc views from outside; bwrap runs inside.
      extraBinds: (req.extraBinds ?? []).map((b) =>
        keeper ? { ...b, host: keeper.namespaceView(b.host) } : b,
      ),
      roBinds: [
        ...(this.spec.roBinds ?? []),
        ...(req.roBinds ?? []).map((b) => (keeper ? { ...b, host: keeper.namespaceView(b.host) } : b)),
        ...(this.egress ? [{ host: this.egress.socketDir, inside: this.egress.insideDir }] : []),
      ],
    });
    const command = [
      ...switchUser(this.mode),
      ...(keeper?.enter() ?? []),
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
