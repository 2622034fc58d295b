// End-to-end helpers: run the built `mogplex` binary as a child process with a clean environment, and clean up.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
export const BIN = join(ROOT, "apps/cli/dist/bin/mogplex.js");

const PROJECTS = ["packages/contract", "packages/client", "apps/server", "apps/cli"];
const isSource = (f: string) => f.endsWith(".ts") && !f.endsWith(".test.ts");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      // Excluded from the build (see each tsconfig), so edits there never make dist stale.
      if (entry.name === "test-support" || entry.name === "e2e") continue;
      newest = Math.max(newest, newestSource(p));
    } else if (isSource(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function distIsStale(): boolean {
  if (!existsSync(BIN)) return true;
  return PROJECTS.some((p) => {
    const info = join(ROOT, p, "dist/.tsbuildinfo");
    return !existsSync(info) || newestSource(join(ROOT, p, "src")) > statSync(info).mtimeMs;
  });
}

/**
 * scripts/test.sh runs `tsc -b` before vitest; a bare `npx vitest` after an edit would otherwise test a stale
 * binary, so rebuild when any project's sources are newer than its build info. Test files run in parallel
 * forks, hence the directory lock around the build.
 */
export function ensureBuilt(): void {
  if (!distIsStale()) return;
  const lock = join(tmpdir(), `mogplex-e2e-build-${Buffer.from(ROOT).toString("hex").slice(-24)}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (distIsStale()) {
      try {
        execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["-b"], { cwd: ROOT, stdio: "pipe" });
      } catch (err) {
        // tsc still emits on type errors, and type-checking is another step's job (scripts/test.sh): carry on
        // with what was emitted, but say why the build complained.
        if (!existsSync(BIN)) throw err;
        console.warn(`tsc -b reported errors:\n${String((err as { stdout?: unknown }).stdout ?? err)}`);
      }
    }
  } finally {
    rmdirSync(lock);
  }
}

const temps: string[] = [];

export function tempDir(prefix = "mogplex-e2e-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

/**
 * A minimal environment: nothing from the test runner's own environment leaks into the child. These suites
 * drive the API and CLI, not run execution, so `serve` starts no in-process worker and runs stay pending.
 */
export function cleanEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: home,
    MOGPLEX_LOG_LEVEL: "warn",
    MOGPLEX_WORKER_CONCURRENCY: "0",
    ...extra,
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

export function runCli(
  args: string[],
  o: { env: Record<string, string>; input?: string; cwd?: string; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: o.env,
      cwd: o.cwd ?? o.env.HOME,
      stdio: ["pipe", "pipe", "pipe"],
    });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`mogplex ${args.join(" ")} did not finish\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, o.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(o.input ?? "");
  });
}

export interface Served {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit status; rejects if the process outlives `timeoutMs`. */
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `mogplex serve --port 0 …` and waits for its `mogplex listening on URL` line. */
export function serve(args: string[], env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", ...args], {
    env,
    cwd: env.HOME,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  let err = "";
  let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const waiters: Array<() => void> = [];
  child.on("exit", (code, signal) => {
    status = { code, signal };
    children.delete(child);
    for (const w of waiters.splice(0)) w();
  });
  const exited = (timeoutMs = 20_000) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        if (status) resolve(status);
      };
      const timer = setTimeout(
        () => reject(new Error(`mogplex serve still running after ${timeoutMs} ms\nstderr: ${err}`)),
        timeoutMs,
      );
      if (status) done();
      else waiters.push(done);
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`mogplex serve did not start\nstdout: ${out}\nstderr: ${err}`));
    }, 30_000);
    child.stderr?.setEncoding("utf8").on("data", (s: string) => {
      err += s;
    });
    child.stdout?.setEncoding("utf8").on("data", (s: string) => {
      out += s;
      const m = /^mogplex listening on (http:\/\/\S+)$/m.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({
          child,
          url: m[1],
          stdout: () => out,
          stderr: () => err,
          exited,
          stop(signal = "SIGTERM") {
            if (!status) child.kill(signal);
            return exited();
          },
        });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`mogplex serve exited (${code}) before listening\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

/** Kills any child still running (by its own pid) and removes temp directories; call from afterAll. */
export function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  children.clear();
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

export const mode = (path: string) => statSync(path).mode & 0o777;

export const lines = (s: string) => s.split("\n").filter((l) => l.trim() !== "");

/** A small working git repository with one commit on `main`. */
export function gitRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const git = (...a: string[]) =>
    execFileSync("git", ["-C", dir, ...a], {
      stdio: "ignore",
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        GIT_AUTHOR_NAME: "e2e",
        GIT_AUTHOR_EMAIL: "e2e@example.test",
        GIT_COMMITTER_NAME: "e2e",
        GIT_COMMITTER_EMAIL: "e2e@example.test",
      },
    });
  git("init", "-q", "-b", "main");
  git("commit", "-q", "--allow-empty", "-m", "init");
  return dir;
}

export interface Envelope<T> {
  ok: boolean;
  data: T;
  error?: { code: string; message: string };
}

/** One authenticated call to the running server's public API. */
export async function api<T = Record<string, unknown>>(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Envelope<T> }> {
  const res = await fetch(`${url}/api/v1/mogplex${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as never };
}

/** Polls `check` until it holds (or fails after `timeoutMs`): for ordering on a child's output, not timing. */
export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
