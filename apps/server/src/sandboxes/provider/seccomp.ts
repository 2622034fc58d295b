// The seccomp filter every sandboxed process runs under, compiled once per process by libseccomp.
import { spawn } from "node:child_process";

// Why a deny list (default allow): agents run arbitrary toolchains, and an allow list would break whatever
// one of them needs next. What is refused is kernel surface an agent never needs and escapes start from:
// namespaces and mounts (nested sandboxes), kernel keyrings, eBPF, perf, userfaultfd and io_uring (frequent
// local privilege escalation bugs), module and kexec loading, tracing other processes, the clock, reboot, swap.
// Names the running kernel's libseccomp doesn't know are skipped (reported by `deniedSkipped`).
export const DENIED_SYSCALLS: readonly string[] = [
  "mount",
  "umount",
  "umount2",
  "pivot_root",
  "chroot",
  "unshare",
  "setns",
  "open_tree",
  "move_mount",
  "fsopen",
  "fsconfig",
  "fsmount",
  "fspick",
  "mount_setattr",
  "keyctl",
  "add_key",
  "request_key",
  "bpf",
  "perf_event_open",
  "userfaultfd",
  "io_uring_setup",
  "io_uring_enter",
  "io_uring_register",
  "kexec_load",
  "kexec_file_load",
  "init_module",
  "finit_module",
  "delete_module",
  "ptrace",
  "process_vm_readv",
  "process_vm_writev",
  "kcmp",
  "pidfd_getfd",
  "name_to_handle_at",
  "open_by_handle_at",
  "reboot",
  "swapon",
  "swapoff",
  "acct",
  "quotactl",
  "syslog",
  "settimeofday",
  "clock_settime",
  "clock_adjtime",
  "adjtimex",
  "iopl",
  "ioperm",
  "lookup_dcookie",
  "vhangup",
  "nfsservctl",
  "uselib",
  "fanotify_init",
];

// clone(2) with any namespace flag is refused (a new user namespace is the usual first step of an escape);
// clone3 passes its flags in memory a filter can't read, so it answers ENOSYS and libcs fall back to clone.
const CLONE_NAMESPACE_FLAGS = [
  0x00020000, // CLONE_NEWNS
  0x02000000, // CLONE_NEWCGROUP
  0x04000000, // CLONE_NEWUTS
  0x08000000, // CLONE_NEWIPC
  0x10000000, // CLONE_NEWUSER
  0x20000000, // CLONE_NEWPID
  0x40000000, // CLONE_NEWNET
  0x00000080, // CLONE_NEWTIME
];
// ioctls that push input into the terminal or console (TIOCSTI, TIOCLINUX); the sandbox has no tty anyway.
const DENIED_IOCTLS = [0x5412, 0x541c];

const GENERATOR = `
import errno, json, sys
import seccomp
spec = json.loads(sys.argv[1])
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
skipped = []
for name in spec["deny"]:
    try:
        f.add_rule(seccomp.ERRNO(errno.EPERM), name)
    except Exception:
        skipped.append(name)
for flag in spec["clone"]:
    f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
try:
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
except Exception:
    skipped.append("clone3")
for request in spec["ioctl"]:
    f.add_rule(seccomp.ERRNO(errno.EPERM), "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, request))
sys.stderr.write(json.dumps({"skipped": skipped}))
sys.stdout.flush()
f.export_bpf(sys.stdout)
`;

export interface SeccompFilter {
  /** The compiled BPF program, as bwrap's `--seccomp FD` reads it. */
  bpf: Buffer;
  /** Names this machine's libseccomp did not know (older ones lack the newest syscalls). */
  skipped: string[];
}

export const SECCOMP_HINT =
  "install libseccomp's Python binding (Debian/Ubuntu: apt-get install python3-seccomp; Fedora: dnf install " +
  "python3-libseccomp), which compiles the sandbox's seccomp filter";

/** Compiles the filter with libseccomp (through its Python binding, run from the system's python3). */
export function compileSeccomp(python = "/usr/bin/python3"): Promise<SeccompFilter> {
  const spec = JSON.stringify({ deny: DENIED_SYSCALLS, clone: CLONE_NAMESPACE_FLAGS, ioctl: DENIED_IOCTLS });
  return new Promise((resolve, reject) => {
    const child = spawn(python, ["-I", "-c", GENERATOR, spec], {
      env: { PATH: "/usr/bin:/bin" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", (e) => reject(new Error(`${python} is not available (${e.message}); ${SECCOMP_HINT}`)));
    child.on("close", (code) => {
      const bpf = Buffer.concat(out);
      // A BPF program is a whole number of 8-byte instructions.
      if (code !== 0 || bpf.length === 0 || bpf.length % 8 !== 0) {
        const why = /No module named .?seccomp/.test(err)
          ? "libseccomp's Python binding is missing"
          : err.trim();
        return reject(
          new Error(
            `cannot compile the seccomp filter (${why.slice(-200) || `exit ${code}`}); ${SECCOMP_HINT}`,
          ),
        );
      }
      let skipped: string[] = [];
      try {
        skipped = (JSON.parse(err.trim().split("\n").pop() ?? "{}") as { skipped?: string[] }).skipped ?? [];
      } catch {
        // the report is informational only
      }
      resolve({ bpf, skipped });
    });
  });
}
