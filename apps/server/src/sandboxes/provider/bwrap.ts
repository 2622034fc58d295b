// The bubblewrap sandbox provider: each command runs in fresh namespaces over the sandbox's own workspace.
import { spawn } from "node:child_process";
import {
  accessSync,
  chmodSync,
  constants,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, isAbsolute, join } from "node:path";
import { FD, SANDBOX_UID, sandboxDirs, systemBinds } from "./bwrap-args.js";
import { BwrapSandbox, type Mode, switchUser } from "./bwrap-sandbox.js";
import { Cgroups, type SandboxCgroup } from "./cgroup.js";
import { type HostIds, orphanedMounts, SandboxDisk, unmount } from "./disk.js";
import type { EgressProxy } from "./egress.js";
import { DEFAULT_SANDBOX_HOST_ID, runningAsRoot } from "./host-user.js";
import { NamespaceDisk } from "./keeper.js";
import { compileSeccomp } from "./seccomp.js";
import {
  type ProviderStatus,
  type SandboxHandle,
  type SandboxProvider,
  type SandboxSpec,
  SandboxUnavailableError,
} from "./types.js";

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
  hostUser?: Partial<HostIds>;
  /** Root servers: where each sandbox's own filesystem is mounted (must be reachable by the sandbox user). */
  mountBase?: string;
}

/** Where a root server mounts sandbox filesystems: outside the data dir, which stays 0700. */
export const DEFAULT_MOUNT_BASE = "/run/mogplex/sandboxes";

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
      const uid = this.o.hostUser?.uid ?? DEFAULT_SANDBOX_HOST_ID;
      const ids = { uid, gid: this.o.hostUser?.gid ?? uid };
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
      await this.sweepOrphans(mountBase);
    } else if (
      (this.o.hostUser?.uid ?? process.getuid?.()) !== process.getuid?.() ||
      (this.o.hostUser?.gid ?? process.getgid?.()) !== process.getgid?.()
    ) {
      return {
        ok: false,
        reason:
          "MOGPLEX_SANDBOX_UID/GID take effect only when the server runs as root; unset them (an unprivileged " +
          "server runs its sandboxes as itself)",
      };
    }
    let keeperTools: Mode["keeperTools"] = null;
    if (!privileged) {
      const unshare = which("unshare", this.o.hostPath);
      const nsenter = which("nsenter", this.o.hostPath);
      if (!unshare || !nsenter) {
        return {
          ok: false,
          reason:
            "each sandbox's disk cap needs unshare and nsenter, which were not found: install util-linux on the " +
            "machine running the worker",
        };
      }
      keeperTools = { unshare, nsenter };
    }
    const mode: Mode = { bin, seccomp, privileged, keeperTools };
    const version = await this.runHost([bin, "--version"]);
    // A real sandboxed `true`, started exactly as commands will be (user switch, seccomp filter), proves user
    // namespaces are allowed here (a sysctl can disable them) and that the filter loads.
    // An unprivileged server also proves its disk cap: the probe runs inside a 1 MB sandbox filesystem.
    const probeDisk = keeperTools ? await this.probeDisk(keeperTools) : null;
    if (typeof probeDisk === "string") return { ok: false, reason: probeDisk };
    const probe = await this.runHost(
      [
        ...switchUser(mode),
        ...(probeDisk?.disk.enter() ?? []),
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
    await probeDisk?.remove();
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
      diskLimit: privileged ? "filesystem" : "memory",
      hostUid: privileged ? privileged.ids.uid : (process.getuid?.() ?? null),
      version: version.stdout.trim(),
    };
  }

  /** Starts a keeper with a 1 MB tmpfs in a temp folder: the unprivileged disk cap works here, or why not. */
  private async probeDisk(
    tools: NonNullable<Mode["keeperTools"]>,
  ): Promise<{ disk: NamespaceDisk; remove: () => Promise<void> } | string> {
    const dir = mkdtempSync(join(tmpdir(), "mogplex-probe-"));
    const disk = new NamespaceDisk(dir, tools);
    const remove = async () => {
      await disk.remove();
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await disk.create(1);
      return { disk, remove };
    } catch (err) {
      await remove();
      return (err as Error).message;
    }
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
    const dirs = p
      ? sandboxDirs(spec.root, join(p.mountBase, spec.id))
      : sandboxDirs(spec.root, join(spec.root, "fs"), join(spec.root, "egress"));
    for (const d of [dirs.root, dirs.etc, dirs.host]) mkdirSync(d, { recursive: true, mode: 0o700 });
    let disk: SandboxDisk | NamespaceDisk | null = null;
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
      } else if (mode.keeperTools) {
        mkdirSync(dirs.fs, { mode: 0o700 });
        disk = new NamespaceDisk(dirs.fs, mode.keeperTools);
        await disk.create(spec.limits.diskMb);
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

  /** Unmounts sandbox filesystems whose sandbox directory is gone (their worker died), and their cgroups. */
  private async sweepOrphans(mountBase: string): Promise<void> {
    for (const mountPoint of orphanedMounts(mountBase)) {
      const id = basename(mountPoint);
      const cgroup = this.cgroups?.existing(`mogplex-${id}`);
      await cgroup?.killAll();
      await cgroup?.remove();
      await unmount(mountPoint, this.adminPath()).catch(() => undefined);
    }
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
