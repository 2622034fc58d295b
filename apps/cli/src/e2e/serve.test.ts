// End-to-end: `mogplex serve` as a real process — first-run setup URL, health, file modes, signals, bad config.
// Relies on ensureBuilt() (support.ts) to rebuild dist when sources are newer; scripts/test.sh builds first anyway.
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  cleanEnv,
  cleanup,
  ensureBuilt,
  gitRepo,
  lines,
  mode,
  runCli,
  type Served,
  serve,
  tempDir,
  until,
} from "./support.js";

const PASSWORD = "correct horse battery staple";
const SETUP_URL = /^ {2}http:\/\/127\.0\.0\.1:\d+\/setup#token=setup_[0-9A-Za-z]{32}$/m;

let home: string;
let dataDir: string;
let env: Record<string, string>;

beforeAll(() => {
  ensureBuilt();
  home = tempDir();
  dataDir = join(home, "data");
  env = cleanEnv(home);
});
afterAll(cleanup);

describe("mogplex serve (embedded SQLite)", { timeout: 120_000 }, () => {
  let firstSecrets: string;
  let token: string;
  let repoId: string;

  it("first start: prints the one-time setup URL, answers health checks, creates owner-only files", async () => {
    const s = await serve(["--data-dir", dataDir], env);
    try {
      expect(s.stdout()).toMatch(SETUP_URL);
      expect(s.stdout()).toContain("No users yet");
      const [health, ready] = await Promise.all([fetch(`${s.url}/healthz`), fetch(`${s.url}/readyz`)]);
      expect(health.status).toBe(200);
      expect(ready.status).toBe(200);
      // The setup token is only ever printed, never logged.
      const setupToken = /token=(setup_\w+)/.exec(s.stdout())?.[1] as string;
      expect(s.stderr()).not.toContain(setupToken);

      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, "secrets.json"))).toBe(0o600);
      expect(mode(join(dataDir, "mogplex.db"))).toBe(0o600);
      // SQLite gives its WAL companions the database file's mode.
      for (const f of ["mogplex.db-wal", "mogplex.db-shm"])
        if (existsSync(join(dataDir, f))) expect(mode(join(dataDir, f))).toBe(0o600);
      firstSecrets = readFileSync(join(dataDir, "secrets.json"), "utf8");
      const parsed = JSON.parse(firstSecrets) as Record<string, string>;
      expect(Object.keys(parsed).sort()).toEqual([
        "authSecret",
        "encryptionKey",
        "registrySigningKey",
        "registryUrlSecret",
        "signingSecret",
      ]);
      for (const v of Object.values(parsed)) expect(v.length).toBeGreaterThanOrEqual(32);
    } finally {
      // SIGINT (Ctrl-C) shuts down as cleanly as SIGTERM.
      const exit = await s.stop("SIGINT");
      expect(exit).toEqual({ code: 0, signal: null });
      expect(s.stdout()).toContain("shutting down");
    }
  });

  it("second start once a user exists: no setup URL, same secrets.json, a loosened data dir tightened", async () => {
    chmodSync(dataDir, 0o755);
    const created = await runCli(
      ["admin", "create-user", "--email", "owner@example.test", "--team", "acme", "--data-dir", dataDir],
      { env, input: `${PASSWORD}\n` },
    );
    expect(created.code).toBe(0);
    const s = await serve(["--data-dir", dataDir], env);
    try {
      expect(mode(dataDir)).toBe(0o700);
      await until(() => s.stderr().includes("the data directory was open to other users; tightened to 0700"));
      expect(s.stderr()).toContain('"was":"0755"');
      // Set up what the shutdown tests below need, through the admin CLI while the server runs.
      const a = (...args: string[]) => runCli(["admin", ...args, "--data-dir", dataDir], { env });
      token = (await a("create-token", "--email", "owner@example.test", "--name", "e2e")).stdout.trim();
      expect(token).toMatch(/^mog_[0-9A-Za-z]{32}$/);
      const repo = gitRepo(join(home, "repo"));
      repoId = (await a("add-repo", "--team", "acme", "--name", "acme/repo", "--path", repo)).stdout.trim();
      expect(repoId).not.toBe("");
      expect(s.stdout()).not.toContain("setup#token=");
      expect(s.stdout()).not.toContain("No users yet");
      expect(readFileSync(join(dataDir, "secrets.json"), "utf8")).toBe(firstSecrets);
      expect(mode(join(dataDir, "secrets.json"))).toBe(0o600);
      expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    } finally {
      expect(await s.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it("SIGTERM with a live SSE follower in flight: the stream is cut after the grace period and exit is 0", async () => {
    const s = await serve(["--data-dir", dataDir], { ...env, MOGPLEX_SHUTDOWN_GRACE_MS: "1000" });
    let exit: Awaited<ReturnType<Served["stop"]>> | undefined;
    try {
      const run = await api<{ run: { id: string } }>(
        s.url,
        token,
        "POST",
        "/runs",
        { repoId, prompt: "follow me" },
        { "idempotency-key": "sse-1" },
      );
      expect(run.status).toBe(202);
      const res = await fetch(`${s.url}/api/v1/mogplex/runs/${run.body.data.run.id}/events/stream`, {
        headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      // The pending run has no terminal event, so the follower stays connected until shutdown cuts it.
      const drained = (async () => {
        let received = "";
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return { received, cut: "closed" };
            received += new TextDecoder().decode(value);
          }
        } catch {
          return { received, cut: "reset" };
        }
      })();
      exit = await s.stop("SIGTERM");
      const stream = await drained;
      expect(["closed", "reset"]).toContain(stream.cut);
    } finally {
      exit ??= await s.stop();
    }
    expect(exit).toEqual({ code: 0, signal: null });
    expect(s.stdout()).toContain("shutting down");
    expect(s.stderr()).not.toMatch(/"level":(50|60)/);
    expect(s.stderr()).not.toContain("Error:");
  });

  it("a request in flight when SIGTERM arrives is finished before the process exits", async () => {
    const s = await serve(["--data-dir", dataDir], env);
    const body = JSON.stringify({ repoId, prompt: "started before shutdown" });
    const { port } = new URL(s.url);
    const req = request({
      host: "127.0.0.1",
      port: Number(port),
      method: "POST",
      path: "/api/v1/mogplex/runs",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
        "idempotency-key": "in-flight-1",
        // The server answers 100 Continue once it has parsed the headers: proof the request is in flight.
        expect: "100-continue",
      },
    });
    const response = new Promise<{ status: number; text: string; connection?: string }>((resolve, reject) => {
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => {
          text += c;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text, connection: res.headers.connection }),
        );
      });
      req.on("error", reject);
    });
    await new Promise<void>((resolve) => req.on("continue", () => resolve()));
    s.child.kill("SIGTERM");
    await until(() => s.stdout().includes("shutting down"));
    // New connections are refused from here on; the accepted request still completes.
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    req.end(body);
    const r = await response;
    expect(r.status).toBe(202);
    // Told not to reuse the connection, so an idle keep-alive socket can't hold the exit back.
    expect(r.connection).toBe("close");
    expect((JSON.parse(r.text) as { data: { run: { status: string } } }).data.run.status).toBe("pending");
    expect(await s.exited()).toEqual({ code: 0, signal: null });
  });
});

describe("configuration errors", { timeout: 60_000 }, () => {
  it.each([
    ["MOGPLEX_PORT", "abc"],
    // Empty is not "unset" and not port 0 (a random port nobody would find).
    ["MOGPLEX_PORT", ""],
    ["MOGPLEX_SHUTDOWN_GRACE_MS", " "],
    ["DATABASE_URL", "mysql://x"],
    ["MOGPLEX_ENCRYPTION_KEY", "short"],
  ])("%s=%s stops serve with one stderr line naming the variable", async (name, value) => {
    const r = await runCli(["serve", "--port", "0", "--data-dir", join(home, "bad")], {
      env: { ...env, [name]: value },
    });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(name);
    expect(r.stdout).toBe("");
    // A secret's bad value is never echoed back.
    if (name === "MOGPLEX_ENCRYPTION_KEY") expect(r.stderr).not.toContain(`"${value}"`);
  });

  it("--port 99999 is a usage error (exit 2)", async () => {
    const r = await runCli(["serve", "--port", "99999", "--data-dir", join(home, "bad")], { env });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("--port");
  });

  it("a port already in use stops serve with one line, not a stack trace", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const r = await runCli(["serve", "--port", port, "--data-dir", join(home, "busy-port")], { env });
      expect(r.code).toBe(1);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain(port);
      expect(r.stderr).toMatch(/in use/);
      expect(r.stdout).not.toContain("listening");
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("an unknown command is a usage error (exit 2)", async () => {
    const r = await runCli(["frobnicate"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("frobnicate");
  });
});
