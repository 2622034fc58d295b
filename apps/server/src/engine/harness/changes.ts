// File-change tracking through git's index: after each mutating step, what changed since the step before.
import type { SandboxHandle } from "../../sandboxes/provider/types.js";
import { WORKSPACE } from "../../sandboxes/provider/types.js";

export interface FileChange {
  path: string;
  added: number;
  removed: number;
  binary: boolean;
}

// The index is the snapshot: untracked files are marked intent-to-add so the worktree diff shows them whole,
// the diff against the index is this step's change, then everything is staged as the next snapshot.
// It runs inside the sandbox like every other git call on the workspace: the repo config is the agent's to
// tamper with, so host-side git never reads it.
const SNAPSHOT = [
  "git ls-files -z --others --exclude-standard | xargs -0 -r git add --intent-to-add -- >/dev/null 2>&1",
  "git -c core.quotepath=off diff --numstat --no-renames -z",
  "git add --all . >/dev/null 2>&1",
  "exit 0",
].join("\n");

export function parseNumstat(out: string): FileChange[] {
  const changes: FileChange[] = [];
  for (const rec of out.split("\0")) {
    const m = /^(-|\d+)\t(-|\d+)\t(.+)$/s.exec(rec.replace(/^\n/, ""));
    if (!m?.[3]) continue;
    const binary = m[1] === "-" || m[2] === "-";
    changes.push({
      path: m[3],
      added: binary ? 0 : Number(m[1]),
      removed: binary ? 0 : Number(m[2]),
      binary,
    });
  }
  return changes;
}

export class ChangeTracker {
  constructor(private readonly sandbox: SandboxHandle) {}

  async snapshot(signal?: AbortSignal): Promise<FileChange[]> {
    const r = await this.sandbox.exec({
      script: SNAPSHOT,
      cwd: WORKSPACE,
      timeoutMs: 120_000,
      maxOutputBytes: 512 * 1024,
      ...(signal ? { signal } : {}),
    });
    if (r.exitCode !== 0) return [];
    return parseNumstat(r.stdout).slice(0, 500);
  }
}
