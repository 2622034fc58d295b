// End-to-end: `mogplex admin …` against the same SQLite data directory a running `mogplex serve` is using.
// Relies on ensureBuilt() (support.ts) to rebuild dist when sources are newer; scripts/test.sh builds first anyway.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  cleanEnv,
  cleanup,
  ensureBuilt,
  gitRepo,
  lines,
  runCli,
  type Served,
  serve,
  tempDir,
} from "./support.js";

const PASSWORD = "correct horse battery staple";
const EMAIL = "owner@example.test";
const DAY_MS = 86_400_000;
const SCOPE_MESSAGE =
  "Missing required scope: write. Issue a new token with the 'write' scope at /settings/api-keys.";

let home: string;
let dataDir: string;
let env: Record<string, string>;
let server: Served;

const admin = (args: string[], input?: string) =>
  runCli(["admin", ...args, "--data-dir", dataDir], { env, input });

/** A failure the operator can act on: non-zero exit, nothing on stdout, one line on stderr. */
function expectOneLineFailure(r: Awaited<ReturnType<typeof admin>>, mentions: string | RegExp) {
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBeNull();
  expect(r.stdout).toBe("");
  expect(lines(r.stderr)).toHaveLength(1);
  expect(r.stderr).toMatch(mentions);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  ensureBuilt();
  home = tempDir();
  dataDir = join(home, "data");
  env = cleanEnv(home);
  server = await serve(["--data-dir", dataDir], env);
}, 120_000);

afterAll(async () => {
  try {
    if (server) expect(await server.stop()).toEqual({ code: 0, signal: null });
  } finally {
    cleanup();
  }
});

describe("mogplex admin while mogplex serve runs (SQLite)", { timeout: 120_000 }, () => {
  let readToken: string;

  it("create-user reads the password from standard input and prints one success line", async () => {
    const r = await admin(
      ["create-user", "--email", EMAIL, "--team", "acme", "--role", "owner"],
      `${PASSWORD}\n`,
    );
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    expect(r.stdout).toMatch(/^created user \S+ \(owner@example\.test\) as owner of team acme \(\S+\)\n$/);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    // The running server sees the new user at once: it no longer offers first-run setup.
    const setup = await fetch(`${server.url}/api/setup`);
    expect(await setup.json()).toEqual({ needsSetup: false });
  });

  it("create-user refuses a duplicate email, an unknown role, a short or missing password", async () => {
    const [dup, role, short, none] = await Promise.all([
      admin(["create-user", "--email", EMAIL, "--team", "acme"], `${PASSWORD}\n`),
      admin(["create-user", "--email", "r@example.test", "--role", "bogus"], `${PASSWORD}\n`),
      admin(["create-user", "--email", "s@example.test", "--team", "acme"], "short\n"),
      admin(["create-user", "--email", "n@example.test", "--team", "acme"], ""),
    ]);
    expectOneLineFailure(dup, /already exists/);
    expectOneLineFailure(role, /--role/);
    expect(role.stderr).not.toContain("bogus");
    expectOneLineFailure(short, /password/i);
    expectOneLineFailure(none, /password/i);
    const db = new Database(join(dataDir, "mogplex.db"), { readonly: true });
    try {
      const emails = db.prepare(`select email from "user" order by email`).pluck().all();
      expect(emails).toEqual([EMAIL]);
    } finally {
      db.close();
    }
  });

  it("create-token --ip-allowlist: the token works from loopback only when loopback is listed", async () => {
    const make = async (list: string) =>
      (
        await admin(["create-token", "--email", EMAIL, "--name", `net-${list}`, "--ip-allowlist", list])
      ).stdout.trim();
    expect((await api(server.url, await make("127.0.0.0/8, ::1"), "GET", "/repos")).status).toBe(200);
    expect((await api(server.url, await make("203.0.113.0/24"), "GET", "/repos")).status).toBe(403);
    const bad = await admin(["create-token", "--email", EMAIL, "--name", "bad", "--ip-allowlist", "nope"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("ipAllowlist");
  });

  it("create-token prints only the token; read scope lists repos, a write is 403", async () => {
    const r = await admin([
      "create-token",
      "--email",
      EMAIL,
      "--name",
      "laptop",
      "--scopes",
      "read",
      "--expires-in-days",
      "5",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mog_[0-9A-Za-z]{32}\n$/);
    readToken = r.stdout.trim();
    expect(r.stderr).not.toContain(readToken);

    const repos = await api(server.url, readToken, "GET", "/repos");
    expect(repos.status).toBe(200);
    expect(repos.body.ok).toBe(true);
    const write = await api(
      server.url,
      readToken,
      "POST",
      "/runs",
      { repoId: "00000000-0000-0000-0000-000000000000", prompt: "x" },
      { "idempotency-key": "w1" },
    );
    expect(write.status).toBe(403);
    expect(write.body.error).toEqual({
      code: "FORBIDDEN",
      message: SCOPE_MESSAGE,
      requestId: expect.any(String),
    });

    const db = new Database(join(dataDir, "mogplex.db"), { readonly: true });
    try {
      const row = db
        .prepare("select scopes, created_at, expires_at, prefix from personal_access_tokens where name = ?")
        .get("laptop") as { scopes: string; created_at: number; expires_at: number; prefix: string };
      expect(JSON.parse(row.scopes)).toEqual(["read"]);
      expect(row.expires_at - row.created_at).toBe(5 * DAY_MS);
      expect(row.prefix).toBe(readToken.slice(0, 12));
    } finally {
      db.close();
    }
  });

  it("create-token refuses an unknown scope, a bad expiry and an unknown email", async () => {
    const [scope, days, nobody] = await Promise.all([
      admin(["create-token", "--email", EMAIL, "--name", "x", "--scopes", "read,admin"]),
      admin(["create-token", "--email", EMAIL, "--name", "x", "--expires-in-days", "-3"]),
      admin(["create-token", "--email", "nobody@example.test", "--name", "x"]),
    ]);
    expectOneLineFailure(scope, /read.*write/);
    expect(scope.stderr).not.toMatch(/\badmin\b/);
    expectOneLineFailure(days, /expires-in-days/);
    expectOneLineFailure(nobody, /nobody@example\.test/);
  });

  it("add-repo prints an id that the API lists; a git dir, a bare repo and a clone URL are accepted", async () => {
    const work = gitRepo(join(home, "work"));
    const bare = join(home, "bare.git");
    execFileSync("git", ["init", "-q", "--bare", bare], { env });

    const [a, b, c] = await Promise.all([
      admin(["add-repo", "--team", "acme", "--name", "acme/work", "--path", work]),
      admin([
        "add-repo",
        "--team",
        "acme",
        "--name",
        "acme/bare",
        "--path",
        bare,
        "--default-branch",
        "trunk",
      ]),
      admin([
        "add-repo",
        "--team",
        "acme",
        "--name",
        "acme/remote",
        "--path",
        "https://example.invalid/a/r.git",
      ]),
    ]);
    const ids = [a, b, c].map((r) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^\S+\n$/);
      return r.stdout.trim();
    });
    const listed = await api<{ repos: Array<{ id: string; fullName: string; defaultBranch: string }> }>(
      server.url,
      readToken,
      "GET",
      "/repos",
    );
    expect(listed.status).toBe(200);
    const byId = new Map(listed.body.data.repos.map((r) => [r.id, r]));
    expect(ids.map((id) => byId.get(id)?.fullName)).toEqual(["acme/work", "acme/bare", "acme/remote"]);
    expect(byId.get(ids[1] as string)?.defaultBranch).toBe("trunk");
  });

  it("add-repo refuses a directory that is not a git repo, a missing path and an unknown team", async () => {
    const plain = join(home, "plain");
    mkdirSync(plain);
    writeFileSync(join(plain, "README"), "not a repo\n");
    const [notRepo, missing, team] = await Promise.all([
      admin(["add-repo", "--team", "acme", "--name", "acme/plain", "--path", plain]),
      admin(["add-repo", "--team", "acme", "--name", "acme/gone", "--path", join(home, "gone")]),
      admin(["add-repo", "--team", "nope", "--name", "acme/x", "--path", "https://example.invalid/x.git"]),
    ]);
    expectOneLineFailure(notRepo, /not a git repository/);
    expectOneLineFailure(missing, /no such directory/);
    expectOneLineFailure(team, /nope/);
  });

  it("add-repo takes the run settings; update-repo changes them; bad values are one-line failures", async () => {
    const add = await admin([
      "add-repo",
      "--team",
      "acme",
      "--name",
      "acme/settings",
      "--path",
      "https://example.invalid/settings.git",
      "--install-command",
      "npm ci",
      "--dev-command",
      "npm run dev",
      "--port",
      "5173",
      "--env-source",
      "connection:app-env",
    ]);
    expect(add.code).toBe(0);
    const id = add.stdout.trim();
    type R = { repo: Record<string, unknown> };
    const before = await api<R>(server.url, readToken, "GET", `/repos/${id}`);
    expect(before.body.data.repo).toMatchObject({
      installCommand: "npm ci",
      devCommand: "npm run dev",
      port: 5173,
      environmentSource: "connection:app-env",
    });
    const up = await admin(["update-repo", "--repo", id, "--dev-command", "", "--port", "3000"]);
    expect(up.code).toBe(0);
    expect(up.stdout).toBe(
      "updated acme/settings:\n  install command: npm ci\n  dev command: (none)\n  port: 3000\n" +
        "  environment source: connection:app-env\n",
    );
    const after = await api<R>(server.url, readToken, "GET", `/repos/${id}`);
    expect(after.body.data.repo).toMatchObject({ installCommand: "npm ci", devCommand: null, port: 3000 });
    const [word, low, source, nobody, nothing, addBad] = await Promise.all([
      admin(["update-repo", "--repo", id, "--port", "abc"]),
      admin(["update-repo", "--repo", id, "--port", "80"]),
      admin(["update-repo", "--repo", id, "--env-source", "file:/etc/passwd"]),
      admin(["update-repo", "--repo", "no-such-repo", "--port", "3000"]),
      admin(["update-repo", "--repo", id]),
      admin([
        "add-repo",
        "--team",
        "acme",
        "--name",
        "acme/bad",
        "--path",
        "https://example.invalid/b.git",
        "--port",
        "x",
      ]),
    ]);
    expectOneLineFailure(word, /--port must be a whole number/);
    expectOneLineFailure(low, /port/);
    expectOneLineFailure(source, /environmentSource must be connection:<name>/);
    expectOneLineFailure(nobody, /no repo with id no-such-repo/);
    expectOneLineFailure(nothing, /nothing to change/);
    expectOneLineFailure(addBad, /--port must be a whole number/);
    const unchanged = await api<R>(server.url, readToken, "GET", `/repos/${id}`);
    expect(unchanged.body.data.repo).toMatchObject({ port: 3000, environmentSource: "connection:app-env" });
  });

  it("concurrent admin writes and API writes all succeed (WAL + busy timeout)", async () => {
    const write = (
      await admin(["create-token", "--email", EMAIL, "--name", "writer", "--scopes", "read,write"])
    ).stdout.trim();
    const repoId = (
      await admin([
        "add-repo",
        "--team",
        "acme",
        "--name",
        "acme/busy",
        "--path",
        gitRepo(join(home, "busy")),
      ])
    ).stdout.trim();
    const runs = Array.from({ length: 5 }, (_, i) =>
      api(
        server.url,
        write,
        "POST",
        "/runs",
        { repoId, prompt: `busy ${i}` },
        { "idempotency-key": `busy-${i}` },
      ),
    );
    const tokens = Array.from({ length: 3 }, (_, i) =>
      admin(["create-token", "--email", EMAIL, "--name", `parallel-${i}`]),
    );
    const [apiResults, adminResults] = await Promise.all([Promise.all(runs), Promise.all(tokens)]);
    expect(apiResults.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    for (const r of adminResults) expect(r.stdout).toMatch(/^mog_[0-9A-Za-z]{32}\n$/);
    // Every token printed by the CLI works against the server at once.
    for (const r of adminResults)
      expect((await api(server.url, r.stdout.trim(), "GET", "/runs")).status).toBe(200);
  });

  it("audit verify: intact, then exit 1 naming the edited row, then intact again once restored", async () => {
    const clean = await admin(["audit", "verify"]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/intact/);

    const db = new Database(join(dataDir, "mogplex.db"));
    db.pragma("busy_timeout = 5000");
    try {
      const original = db.prepare("select payload from audit_events where seq = 2").pluck().get() as string;
      expect(original).toBeDefined();
      db.prepare(`update audit_events set payload = '{"x":1}' where seq = 2`).run();
      const broken = await admin(["audit", "verify"]);
      expect(broken.code).toBe(1);
      expect(broken.stdout + broken.stderr).toMatch(/\bseq 2\b/);
      expect(broken.stdout + broken.stderr).not.toMatch(/intact/);
      db.prepare("update audit_events set payload = ? where seq = 2").run(original);
    } finally {
      db.close();
    }
    const restored = await admin(["audit", "verify"]);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/intact/);
  });

  it("backup while the server runs writes a consistent SQLite copy; refuses to overwrite a file", async () => {
    const file = join(home, "backup.db");
    const r = await admin(["backup", file]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    const live = new Database(join(dataDir, "mogplex.db"), { readonly: true });
    const copy = new Database(file, { readonly: true });
    try {
      expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
      const count = (d: Database.Database) => d.prepare(`select count(*) from "user"`).pluck().get();
      expect(count(copy)).toBe(1);
      expect(count(copy)).toBe(count(live));
      const tokens = (d: Database.Database) =>
        d.prepare("select count(*) from personal_access_tokens").pluck().get();
      expect(tokens(copy)).toBe(tokens(live));
    } finally {
      live.close();
      copy.close();
    }
    expectOneLineFailure(await admin(["backup", file]), /already exists/);
  });

  it("migrate on an up-to-date database says so", async () => {
    const r = await admin(["migrate"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("database is up to date\n");
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
