// The escape attempts an attacker's code makes from inside a sandbox, as one bash script, and their verdicts.
import { readFileSync } from "node:fs";

/** Host knobs the probe tries to write; tests read them before and after (and restore them if changed). */
export const HOST_KNOBS = ["/proc/sys/kernel/printk_ratelimit", "/proc/sys/kernel/core_pattern"] as const;

export function readKnobs(): Record<string, string> {
  return Object.fromEntries(HOST_KNOBS.map((k) => [k, readFileSync(k, "utf8")]));
}

// Syscall numbers the probe calls directly through perl (x86_64 / aarch64). Without the filter, keyctl answers
// a keyring id and io_uring_setup with a null pointer EFAULT; with it, both are EPERM.
const SYSCALLS: Record<string, Record<string, number>> = {
  x64: { keyctl: 250, io_uring_setup: 425, bpf: 321, perf_event_open: 298, unshare: 272 },
  arm64: { keyctl: 219, io_uring_setup: 425, bpf: 280, perf_event_open: 241, unshare: 97 },
};

/**
 * Prints `key=value` lines. Every attempt that succeeds prints a value the verdict calls an escape. `$1` is a
 * scratch directory inside the sandbox (the workspace or HOME).
 */
export function escapeProbeScript(): string {
  const nr = SYSCALLS[process.arch] ?? SYSCALLS.x64 ?? {};
  const perl = Object.entries(nr)
    .map(
      ([name, n]) =>
        `echo "syscall_${name}=$(perl -e '$r = syscall(${n}, 0, -3, 0, 0, 0); print $r < 0 ? ($!+0) : "ok"' 2>&1)"`,
    )
    .join("\n");
  return `
cd "$1"
echo "uid=$(id -u)"
echo "uid_map=$(tr -s ' ' < /proc/self/uid_map | tr '\\n' ';')"
( echo 7 > /proc/sys/kernel/printk_ratelimit ) 2>/dev/null && echo "printk=WROTE" || echo "printk=refused"
printf '#!/bin/sh\\ntouch "$PWD/pwned"\\n' > pwn.sh; chmod +x pwn.sh
( echo "|$PWD/pwn.sh" > /proc/sys/kernel/core_pattern ) 2>/dev/null && echo "core_pattern=WROTE" || echo "core_pattern=refused"
( echo h > /proc/sysrq-trigger ) 2>/dev/null && echo "sysrq=WROTE" || echo "sysrq=refused"
echo "ulimit_c=$(ulimit -c)"
( ulimit -c unlimited ) 2>/dev/null && echo "raise_core=WROTE" || echo "raise_core=refused"
bash -c 'kill -SEGV $$' 2>/dev/null; echo "crash_status=$?"
echo "core_files=$(ls -1 core* /tmp/core* 2>/dev/null | wc -l)"
unshare -U true 2>/dev/null && echo "unshare_user=WROTE" || echo "unshare_user=refused"
mount -t tmpfs none /tmp 2>/dev/null && echo "mount=WROTE" || echo "mount=refused"
${perl}
echo "mountinfo=$(cut -d' ' -f4,5 /proc/self/mountinfo | tr '\\n' ';')"
`;
}

export type ProbeReport = Record<string, string>;

export function parseProbe(stdout: string): ProbeReport {
  const out: ProbeReport = {};
  for (const line of stdout.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** What every sandbox must show, whoever runs the server; `hidden` are host paths the mount table must not name. */
export function escapeFindings(r: ProbeReport, hidden: readonly string[]): string[] {
  const bad: string[] = [];
  for (const k of ["printk", "core_pattern", "sysrq", "raise_core", "unshare_user", "mount"]) {
    if (r[k] !== "refused") bad.push(`${k}: ${r[k] ?? "no answer"}`);
  }
  if (r.ulimit_c !== "0") bad.push(`core size limit is ${r.ulimit_c}`);
  if (r.crash_status !== String(128 + 11)) bad.push(`the crash probe did not crash (${r.crash_status})`);
  if (r.core_files !== "0") bad.push(`${r.core_files} core files were written`);
  for (const name of ["keyctl", "io_uring_setup", "bpf", "perf_event_open", "unshare"]) {
    if (r[`syscall_${name}`] !== "1")
      bad.push(`${name} answered ${r[`syscall_${name}`]} (want EPERM from seccomp)`);
  }
  for (const h of hidden) if (r.mountinfo?.includes(h)) bad.push(`the mount table names the host path ${h}`);
  if (!r.uid_map) bad.push("/proc/self/uid_map is not readable");
  return bad;
}
