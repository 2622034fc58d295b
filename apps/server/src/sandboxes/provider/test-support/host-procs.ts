// Host-side view of sandboxed processes: every descendant of the given pids, with its real host uid.
import { readdirSync, readFileSync } from "node:fs";

function statusOf(pid: number): { ppid: number; uid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(text)?.[1]);
    // Uid: real, effective, saved, filesystem — the real one is what `ps -o uid` shows.
    const uid = Number(/^Uid:\s+(\d+)/m.exec(text)?.[1]);
    return Number.isInteger(ppid) && Number.isInteger(uid) ? { ppid, uid } : null;
  } catch {
    return null;
  }
}

/** pid → host uid of each process in the trees rooted at `roots` (the roots included). */
export function hostUidsUnder(roots: readonly number[]): Map<number, number> {
  const all = new Map<number, { ppid: number; uid: number }>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = statusOf(Number(name));
    if (s) all.set(Number(name), s);
  }
  const out = new Map<number, number>();
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    const s = all.get(pid);
    if (!s || out.has(pid)) continue;
    out.set(pid, s.uid);
    for (const [child, cs] of all) if (cs.ppid === pid) queue.push(child);
  }
  return out;
}
