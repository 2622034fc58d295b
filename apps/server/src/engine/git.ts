// Git for runs: host-side clone before the sandbox exists, in-sandbox commit, host-side push of the result.
import { spawn } from "node:child_process";
import {
  closeSync,
  constants,
  createReadStream,
  createWriteStream,
  fstatSync,
  openSync,
  rmSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { SandboxHandle } from "../sandboxes/provider/types.js";
import { WORKSPACE } from "../sandboxes/provider/types.js";
import { redactSecretValues } from "../sanitize/index.js";

// Trust boundary: the host runs git only on things the agent never touched (the fresh clone before any
// sandboxed command, a bare export repo it never sees) and reads the agent's work only as a bundle file.
// Every git command on the agent-edited checkout runs inside the sandbox, because its .git/config, hooks and
// attributes are the agent's to rewrite (core.fsmonitor, filter drivers, hooks all execute commands).

export class GitError extends Error {
  override readonly name = "GitError";
}

export interface HostGit {
  path: string;
  timeoutMs?: number;
  /** Kills the git process (e.g. a long clone of a run that was cancelled meanwhile). */
  signal?: AbortSignal;
}

/** Runs host git with a small, explicit environment (never the server's provider keys). */
export function git(
  args: string[],
  o: HostGit & { cwd?: string },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, {
      cwd: o.cwd,
      env: { PATH: o.path, HOME: homedir(), GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      if (stdout.length < 1_000_000) stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 100_000) stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 600_000);
    const onAbort = () => child.kill("SIGKILL");
    o.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (err) => {
      o.signal?.removeEventListener("abort", onAbort);
      clearTimeout(timer);
      reject(new GitError(`git is not available on this machine: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      o.signal?.removeEventListener("abort", onAbort);
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else {
        const why = stderr.trim().split("\n").slice(-3).join(" ") || `exit ${code ?? signal}`;
        reject(new GitError(`git ${args[0]} failed: ${why}`));
      }
    });
  });
}

export interface CloneInput extends HostGit {
  source: string;
  /** The sandbox's workspace (empty); it may be reachable only through /proc, which git would resolve away. */
  dest: string;
  /** A host-only folder (absent) where git clones first; its content is then copied into `dest`. */
  stage: string;
  base: string;
  working: string;
  createBranch: boolean;
}

/** Fresh clone at the branch to start from, copied into the workspace; returns the commit the run starts at. */
export async function cloneForRun(i: CloneInput): Promise<string> {
  const startBranch = i.createBranch ? i.base : i.working;
  // --no-hardlinks: a hard-linked object file would let the sandbox rewrite the source repo's objects.
  await git(
    ["clone", "--quiet", "--no-hardlinks", "--branch", startBranch, "--", i.source, i.stage],
    i,
  ).catch((err: Error) => {
    throw new GitError(
      `cannot clone the repo at branch ${startBranch}: ${err.message.replace(/^git clone failed: /, "")}`,
    );
  });
  try {
    // The remote URL can carry credentials and names a host path: the agent gets neither.
    await git(["-C", i.stage, "remote", "remove", "origin"], i);
    if (i.createBranch && i.working !== i.base)
      await git(["-C", i.stage, "checkout", "--quiet", "-b", i.working], i);
    const sha = (await git(["-C", i.stage, "rev-parse", "HEAD"], i)).stdout.trim();
    // Into the sandbox's size-capped filesystem: a repo that does not fit fails here with ENOSPC.
    await copyTree(i.stage, i.dest, i);
    return sha;
  } finally {
    rmSync(i.stage, { recursive: true, force: true });
  }
}

/** `cp` of a folder's content, symlinks kept as links (never followed on the host). */
function copyTree(from: string, to: string, o: HostGit): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("cp", ["-R", "-P", "--preserve=mode,timestamps,links", "--", `${from}/.`, to], {
      env: { PATH: o.path, LC_ALL: "C" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 10_000) stderr += d.toString();
    });
    const onAbort = () => child.kill("SIGKILL");
    o.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (err) =>
      reject(new GitError(`cannot copy the checkout into the sandbox: ${err.message}`)),
    );
    child.on("close", (code) => {
      o.signal?.removeEventListener("abort", onAbort);
      if (code === 0) resolve();
      else {
        const why =
          stderr.trim().split("\n").slice(-2).join(" ").replaceAll(to, "/workspace") || `exit ${code}`;
        reject(new GitError(`cannot copy the checkout into the sandbox: ${why}`));
      }
    });
  });
}

const OUT_INSIDE = "/mogplex-out";

// Runs inside the sandbox. Hooks are switched off so a hook the agent wrote can't veto or rewrite the commit.
const FINALIZE = `
set -e
want="refs/heads/$1"
head=$(git symbolic-ref -q HEAD || true)
if [ "$head" != "$want" ]; then echo "the repository was left on ${"$"}{head:-a detached HEAD}, not $want" >&2; exit 3; fi
git add --all .
if ! git diff --cached --quiet; then
  git -c core.hooksPath=/dev/null -c commit.gpgsign=false commit --quiet --no-verify -F -
fi
git rev-parse HEAD
git bundle create ${OUT_INSIDE}/result.bundle "$want" >/dev/null 2>&1
`;

export interface Finalized {
  sha: string;
  changed: boolean;
  message: string;
}

/** Commits the agent's work on the working branch (inside the sandbox) and publishes it to the source repo. */
export async function commitAndPush(o: {
  sandbox: SandboxHandle;
  hostDir: string;
  outDir: string;
  source: string;
  branch: string;
  baseSha: string;
  message: string;
  signal: AbortSignal;
  host: HostGit;
}): Promise<Finalized> {
  const r = await o.sandbox.exec({
    script: FINALIZE,
    args: [o.branch],
    cwd: WORKSPACE,
    stdin: o.message,
    timeoutMs: 300_000,
    signal: o.signal,
    extraBinds: [{ host: o.outDir, inside: OUT_INSIDE }],
  });
  if (r.exitCode !== 0) {
    throw new GitError(
      `committing the changes failed: ${(r.stderr || r.stdout).trim().slice(-500) || `exit ${r.exitCode}`}`,
    );
  }
  const sha = r.stdout.trim().split("\n").pop() ?? "";
  if (sha === o.baseSha) return { sha, changed: false, message: o.message };

  // Copy the bundle out refusing symlinks and special files: the out dir was writable from inside.
  // Reads through the one descriptor it checked, so nothing can be swapped in between.
  const copy = join(o.hostDir, "result.bundle");
  const fd = openSync(
    join(o.outDir, "result.bundle"),
    constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
  );
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new GitError("the result bundle is not a regular file");
  }
  await pipeline(createReadStream("", { fd }), createWriteStream(copy, { flags: "wx", mode: 0o600 }));
  const exportRepo = join(o.hostDir, "export.git");
  await git(["init", "--quiet", "--bare", exportRepo], o.host);
  await git(
    [
      "-C",
      exportRepo,
      "fetch",
      "--quiet",
      "--no-tags",
      copy,
      `+refs/heads/${o.branch}:refs/heads/${o.branch}`,
    ],
    o.host,
  );
  const fetched = (
    await git(["-C", exportRepo, "rev-parse", `refs/heads/${o.branch}`], o.host)
  ).stdout.trim();
  if (fetched !== sha) throw new GitError("the result bundle does not hold the commit the sandbox reported");
  await git(
    ["-C", exportRepo, "push", "--quiet", o.source, `refs/heads/${o.branch}:refs/heads/${o.branch}`],
    o.host,
  ).catch((err: Error) => {
    throw new GitError(`pushing ${o.branch} failed: ${err.message.replace(/^git push failed: /, "")}`);
  });
  return { sha, changed: true, message: o.message };
}

/**
 * First line from the prompt, the agent's summary as the body, and the run for traceability. Both pass the
 * same pattern sanitiser as run events before they are cut, so a credential the model echoed (or one pasted
 * into the prompt) is never pushed, and a cut never leaves part of one. The caller also hides the run's
 * known secret values.
 */
export function commitMessage(prompt: string, summary: string, runId: string, model: string): string {
  const firstLine = redactSecretValues(prompt.trim().split("\n")[0]?.trim() ?? "");
  const subject = firstLine.length > 68 ? `${firstLine.slice(0, 67).trimEnd()}…` : firstLine || "Mogplex run";
  const body = redactSecretValues(summary.trim()).slice(0, 4_000);
  return `${subject}\n\n${body ? `${body}\n\n` : ""}Mogplex-Run: ${runId}\nMogplex-Model: ${model}\n`;
}
