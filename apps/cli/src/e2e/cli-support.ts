// Helpers for the `mogplex` client e2e tests: a real `mogplex serve` with a user, tokens and a repo made by
// `mogplex admin`, a browser-like sign-in, and CLI children whose stdin stays open for interaction.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { BIN, cleanEnv, gitRepo, runCli, type Served, serve, tempDir } from "./support.js";

export const PASSWORD = "correct horse battery staple";

export interface Fixture {
  served: Served;
  url: string;
  dataDir: string;
  env: Record<string, string>;
  email: string;
  token: string;
  repoId: string;
  admin(...args: string[]): Promise<string>;
  /** Stops the server and starts it again on the same port and data (cuts live streams). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A port nobody listens on right now. `serve --port 0` would do, except that Better Auth's trusted origin is
 * computed from the configured port before listening, so browser sign-in needs the real port up front.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A fresh data dir, `mogplex serve` on a free port, and an owner with a token and one repo. */
export async function startFixture(serverEnv: Record<string, string> = {}, team = "acme"): Promise<Fixture> {
  const root = tempDir("mogplex-cli-e2e-");
  const dataDir = join(root, "data");
  const env = cleanEnv(root, {
    MOGPLEX_IP_RATE_LIMIT: "100000/60s",
    MOGPLEX_SIGNIN_RATE_LIMIT: "100000/60s",
  });
  const admin = async (...args: string[]) => {
    const r = await runCli(["admin", ...args, "--data-dir", dataDir], { env, input: `${PASSWORD}\n` });
    if (r.code !== 0) throw new Error(`admin ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout.trim();
  };
  const email = `owner@${team}.test`;
  await admin("create-user", "--email", email, "--team", team);
  const port = String(await freePort());
  const args = ["--data-dir", dataDir, "--port", port];
  const senv = { MOGPLEX_SHUTDOWN_GRACE_MS: "500", ...env, ...serverEnv };
  let served = await serve(args, senv);
  const token = await admin("create-token", "--email", email, "--name", "e2e");
  const repoId = await admin(
    "add-repo",
    "--team",
    team,
    "--name",
    `${team}/repo`,
    "--path",
    gitRepo(join(root, "repo")),
  );
  return {
    get served() {
      return served;
    },
    url: served.url,
    dataDir,
    env,
    email,
    token,
    repoId,
    admin,
    async restart() {
      await served.stop();
      served = await serve(args, senv);
    },
    async stop() {
      await served.stop();
    },
  };
}

/** Signs in like a browser; returns the Cookie header value. */
export async function signIn(url: string, email: string, password = PASSWORD): Promise<string> {
  const res = await fetch(`${url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

/** A client home (its own HOME and MOGPLEX_HOME) pointed at the server. */
export function clientEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  const home = tempDir("mogplex-cli-home-");
  return cleanEnv(home, { MOGPLEX_HOME: join(home, ".mogplex"), MOGPLEX_URL: url, ...extra });
}

export interface LiveCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  write(s: string): void;
  /** Resolves with the first match of `re` on stderr+stdout (polls; fails after `timeoutMs`). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited(timeoutMs?: number): Promise<number | null>;
}

const live = new Set<ChildProcess>();

/** Starts the CLI with stdin left open (for pasting, or to prove it is never read). */
export function startCli(args: string[], env: Record<string, string>): LiveCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env,
    cwd: env.HOME,
    stdio: ["pipe", "pipe", "pipe"],
  });
  live.add(child);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (s: string) => {
    out += s;
  });
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    err += s;
  });
  const closed = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    write: (s) => child.stdin?.write(s),
    async waitFor(re, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(`${err}\n${out}`);
        if (m) return m;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no ${re} in time\nstdout: ${out}\nstderr: ${err}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    exited(timeoutMs = 60_000) {
      return Promise.race([
        closed,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`mogplex ${args.join(" ")} still running\nstderr: ${err}`)),
            timeoutMs,
          ),
        ),
      ]);
    },
  };
}

export function killLive(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  live.clear();
}

/** Everything in every session log under a MOGPLEX_HOME. */
export function sessionLogs(mogplexHome: string): { files: string[]; text: string } {
  const dir = join(mogplexHome, "logs");
  const files = readdirSync(dir).filter((f) => f.endsWith(".jsonl"));
  return {
    files: files.map((f) => join(dir, f)),
    text: files.map((f) => readFileSync(join(dir, f), "utf8")).join(""),
  };
}

export const authJson = (env: Record<string, string>) =>
  JSON.parse(readFileSync(join(env.MOGPLEX_HOME as string, "auth.json"), "utf8")) as Record<
    string,
    Record<string, unknown>
  >;
