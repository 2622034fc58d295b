// The bubblewrap command line for one sandboxed invocation: which host paths are visible, and how.
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import type { SandboxLimits } from "./types.js";
import { WORKSPACE } from "./types.js";

/** uid/gid inside the sandbox: never 0, so nothing inside is root even in its own namespace. */
export const SANDBOX_UID = 1000;

// Only what a toolchain needs from the host's /etc: dynamic linker cache, Debian alternatives symlinks, TLS
// roots, name-service switch, time zone. Never passwd/shadow/group (synthetic ones are bound instead),
// never package-manager or tool configs (npmrc, pip.conf, gitconfig can hold registry credentials).
const ETC_ENTRIES = [
  "alternatives",
  "ca-certificates",
  "ca-certificates.conf",
  "ssl",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "localtime",
  "nsswitch.conf",
  "protocols",
  "services",
  "mime.types",
  "os-release",
];

// Top-level system directories: merged-/usr hosts have them as symlinks into /usr, older ones as real dirs.
const ROOT_DIRS = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

/**
 * Host-side layout of one sandbox. `root` (under the server's data dir) holds what only the engine touches;
 * the directories bound into the sandbox (`workspace`, `tmp`, `out`) live under `fs`, the sandbox's own
 * size-capped filesystem: for a root server an ext4 image mounted under the mount base (disk.ts), otherwise a
 * tmpfs over `<root>/fs` in the sandbox's own mount namespace (keeper.ts). The egress proxy's socket folder
 * sits under `fs` for root servers (the sandbox user must reach it) and beside it otherwise (the host's proxy
 * could not put its socket inside another namespace's tmpfs).
 */
export function sandboxDirs(
  root: string,
  fs: string = join(root, "fs"),
  egress: string = join(fs, "egress"),
) {
  return {
    root,
    fs,
    workspace: join(fs, "workspace"),
    tmp: join(fs, "tmp"),
    /** Bound read-write for single invocations (e.g. where the result bundle is written). */
    out: join(fs, "out"),
    egress,
    /** Per-invocation port bridge folders (port-bridge.ts): beside the egress folder, for the same reasons. */
    ports: join(dirname(egress), "ports"),
    etc: join(root, "etc"),
    /** Never bound into the sandbox: the engine's own files (e.g. the copied result bundle). */
    host: join(root, "host"),
  };
}
export type SandboxDirs = ReturnType<typeof sandboxDirs>;

/** The file descriptors bwrap reads besides its options (fd 3) and the dead-man switch (fd 4). */
export const FD = { seccomp: 5, passwd: 6, group: 7, hosts: 8 } as const;

// Host-wide kernel knobs under /proc. A sandbox that is not host root can't write them anyway; read-only binds
// keep it so even if the uid mapping were ever wrong. Missing ones (older kernels, hidden) are skipped.
const PROC_READ_ONLY = ["sys", "sysrq-trigger", "irq", "bus", "fs", "acpi", "scsi"];

export function systemBinds(): string[] {
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const d of ROOT_DIRS) {
    const p = `/${d}`;
    if (!existsSync(p)) continue;
    const st = lstatSync(p);
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(p), p);
    else if (st.isDirectory()) args.push("--ro-bind", p, p);
  }
  for (const e of ETC_ENTRIES) args.push("--ro-bind-try", `/etc/${e}`, `/etc/${e}`);
  return args;
}

export interface InvocationArgs {
  dirs: SandboxDirs;
  env: Readonly<Record<string, string>>;
  cwd: string;
  extraBinds: ReadonlyArray<{ host: string; inside: string }>;
  /** Read-only binds the provider adds (e.g. the egress proxy socket directory). */
  roBinds?: ReadonlyArray<{ host: string; inside: string }>;
}

/**
 * Options for `bwrap --args 3`: they travel over a pipe, so environment values never show up in the host's
 * process table (argv is world-readable there) and never in a host process's own environment.
 */
export function bwrapOptions(a: InvocationArgs): string[] {
  const dirs = a.dirs;
  const args = [
    // Every namespace: no network but the sandbox's own loopback, its own pids, ipc, uts, cgroup view.
    "--unshare-all",
    "--unshare-user",
    // No nested user namespaces: that kernel surface is the usual first step of an escape.
    "--disable-userns",
    "--uid",
    String(SANDBOX_UID),
    "--gid",
    String(SANDBOX_UID),
    "--hostname",
    "mogplex-sandbox",
    // If the worker dies (even by SIGKILL) the sandbox dies with it; no terminal to inject keystrokes into.
    "--die-with-parent",
    "--new-session",
    ...systemBinds(),
    // Synthetic identity files, copied in from pipes: no host path to them shows in the sandbox's mount table.
    "--perms",
    "0444",
    "--file",
    String(FD.passwd),
    "/etc/passwd",
    "--perms",
    "0444",
    "--file",
    String(FD.group),
    "/etc/group",
    "--perms",
    "0444",
    "--file",
    String(FD.hosts),
    "/etc/hosts",
    "--proc",
    "/proc",
    ...PROC_READ_ONLY.flatMap((p) => ["--ro-bind-try", `/proc/${p}`, `/proc/${p}`]),
    "--dev",
    "/dev",
    "--bind",
    dirs.tmp,
    "/tmp",
    "--bind",
    dirs.workspace,
    WORKSPACE,
  ];
  for (const b of a.roBinds ?? []) args.push("--ro-bind", b.host, b.inside);
  for (const b of a.extraBinds) args.push("--bind", b.host, b.inside);
  // The root itself is a bwrap tmpfs: make it read-only so the workspace and /tmp are the only writable places.
  args.push("--remount-ro", "/", "--chdir", a.cwd, "--clearenv");
  // Loaded last by bwrap, right before it runs the command: nothing of its own setup is filtered.
  args.push("--seccomp", String(FD.seccomp));
  for (const [k, v] of Object.entries(a.env)) args.push("--setenv", k, v);
  return args;
}

// Fd 4 is the dead-man switch: the worker holds the other end of that pipe and never writes. When the worker
// dies (even by SIGKILL, even before bwrap got to set its parent-death signal) the pipe reads EOF and the
// watcher kills every process of the sandbox. PR_SET_PDEATHSIG alone misses a worker that dies in between.
const WATCHDOG = "{ read -r _ <&4; kill -KILL -1; } >/dev/null 2>&1 & exec 4<&-; ";

// Limits are set by bash inside the sandbox (both soft and hard, so the command cannot raise them), then the
// real command replaces it. Core dumps are off: a crash writes nothing and hands no core handler anything. The limiter text is fixed; the command only ever arrives as a positional value.
const LIMITER =
  WATCHDOG +
  'ulimit -HSc 0 && ulimit -HSu "$1" && { [ "$2" = 0 ] || ulimit -HSt "$2"; } && ulimit -HSf "$3" && ulimit -HSn "$4" && ' +
  '{ [ "$5" = 0 ] || ulimit -HSv "$5"; } && shift 5 && exec /bin/bash -c "$@"';

/** The child's file descriptor carrying the dead-man switch (3 carries bwrap's options). */
export const WATCHDOG_FD = 4;

/** The command bwrap runs: bash applying the limits, then `bash -c script $0 args…`. */
export function limitedCommand(limits: SandboxLimits, script: string, args: readonly string[]): string[] {
  return [
    "/bin/bash",
    "-c",
    LIMITER,
    "mogplex-limits",
    String(limits.processes),
    // 0 = no CPU-time cap (long-lived servers); the engine's runs always set one.
    String(limits.cpuSeconds),
    // ulimit -f counts 1 KiB blocks, -v KiB.
    String(limits.fileSizeMb * 1024),
    "4096",
    String(limits.addressSpaceMb * 1024),
    script,
    "mogplex",
    ...args,
  ];
}

/** Validates environment names before they reach `--setenv` (a bad name would confuse every tool inside). */
export function checkEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name);
}
