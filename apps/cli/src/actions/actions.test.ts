// Command actions against fake APIs: run output, lists and paging, cancel, auth status, logout.
import { readFileSync } from "node:fs";
import type { Repo, Run } from "@mogplex/contract";
import { describe, expect, it } from "vitest";
import { testCtx } from "../test-support/ctx.js";
import type { Api } from "./api.js";
import { authStatus, logout } from "./auth.js";
import { login } from "./login.js";
import { reposList } from "./repos.js";
import { startRun } from "./run.js";
import { runCancel, runGet, runsList } from "./runs.js";

const TOKEN = `mog_${"T".repeat(32)}`;
const run = (o: Partial<Run> = {}) => ({ id: "run-1", status: "pending", ...o }) as Run;
const repo = (id: string) => ({ id, fullName: `acme/${id}`, defaultBranch: "main" }) as Repo;

describe("run", () => {
  it("prints started / matched and how to tail it; sends a random key unless given", async () => {
    const keys: string[] = [];
    const bodies: unknown[] = [];
    let replayed = false;
    const api = {
      async createRun(body: unknown, key: string) {
        keys.push(key);
        bodies.push(body);
        const r = { run: run(), replayed };
        replayed = true;
        return r;
      },
    } as unknown as Api;
    const ctx = testCtx();
    await startRun(ctx, api, "fix it", {
      repo: "repo-1",
      idempotencyKey: "k",
      createBranch: true,
      root: "pkg/a",
    });
    await startRun(ctx, api, "fix it", {
      repo: "repo-1",
      idempotencyKey: "k",
      createBranch: true,
      root: "pkg/a",
    });
    expect(ctx.stdout).toEqual([
      "started run run-1 (pending)",
      "tail it: mogplex runs events run-1 --follow",
      "matched existing run run-1",
      "tail it: mogplex runs events run-1 --follow",
    ]);
    expect(bodies[0]).toEqual({
      repoId: "repo-1",
      prompt: "fix it",
      createBranch: true,
      rootDirectory: "pkg/a",
    });
    await startRun(testCtx(), api, "again", { repo: "repo-1" });
    await startRun(testCtx(), api, "again", { repo: "repo-1" });
    expect(keys[2]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[3]).not.toBe(keys[2]);
  });

  it("--tool (repeated) sends the run's team tools once each; a malformed name is a usage error", async () => {
    const bodies: unknown[] = [];
    const api = {
      async createRun(body: unknown) {
        bodies.push(body);
        return { run: run(), replayed: false };
      },
    } as unknown as Api;
    await startRun(testCtx(), api, "fix it", {
      repo: "repo-1",
      tool: ["everything__echo", "rest:crm", "everything__echo", "files__*"],
    });
    expect(bodies[0]).toEqual({
      repoId: "repo-1",
      prompt: "fix it",
      tools: ["everything__echo", "rest:crm", "files__*"],
    });
    await expect(startRun(testCtx(), api, "x", { repo: "r", tool: ["no-separator"] })).rejects.toMatchObject({
      exitCode: 2,
    });
    expect(bodies).toHaveLength(1);
  });

  it("--package (repeated) sends the run's packages once each; a name without an exact version is a usage error", async () => {
    const bodies: unknown[] = [];
    const api = {
      async createRun(body: unknown) {
        bodies.push(body);
        return { run: run(), replayed: false };
      },
    } as unknown as Api;
    await startRun(testCtx(), api, "fix it", {
      repo: "repo-1",
      package: ["acme/guide@1.0.0", "acme/lint@2.1.0-rc.1", "acme/guide@1.0.0"],
    });
    expect(bodies[0]).toEqual({
      repoId: "repo-1",
      prompt: "fix it",
      packages: ["acme/guide@1.0.0", "acme/lint@2.1.0-rc.1"],
    });
    for (const bad of ["acme/guide", "acme/guide@^1.0.0", "Acme/guide@1.0.0", "guide@1.0.0"])
      await expect(startRun(testCtx(), api, "x", { repo: "r", package: [bad] })).rejects.toMatchObject({
        exitCode: 2,
      });
    expect(bodies).toHaveLength(1);
  });

  it("reads the prompt from stdin with '-', refuses an empty one, and keeps the prompt out of the log", async () => {
    const seen: string[] = [];
    const api = {
      async createRun(b: { prompt: string }) {
        seen.push(b.prompt);
        return { run: run(), replayed: false };
      },
    } as unknown as Api;
    const ctx = testCtx({}, { stdin: "secret plan\n" });
    await startRun(ctx, api, "-", { repo: "r" });
    expect(seen).toEqual(["secret plan"]);
    ctx.log.close();
    expect(readFileSync(ctx.log.path, "utf8")).not.toContain("secret plan");
    await expect(startRun(testCtx(), api, "  ", { repo: "r" })).rejects.toMatchObject({ exitCode: 2 });
  });
});

describe("lists", () => {
  it("prints one page and points at the next; --all walks every page; --json is NDJSON", async () => {
    const pages: Record<string, { repos: Repo[]; nextCursor: string | null }> = {
      first: { repos: [repo("a")], nextCursor: "c2" },
      c2: { repos: [repo("b")], nextCursor: null },
    };
    const api = { listRepos: async (o: { cursor?: string }) => pages[o.cursor ?? "first"] } as unknown as Api;
    const one = testCtx();
    await reposList(one, api, {});
    expect(one.stdout).toEqual(["a  acme/a  main"]);
    expect(one.stderr).toEqual(["more results: add --cursor c2 (or --all)"]);
    const all = testCtx();
    await reposList(all, api, { all: true, json: true });
    expect(all.stdout.map((l) => (JSON.parse(l) as Repo).id)).toEqual(["a", "b"]);
    await expect(reposList(testCtx(), api, { limit: "0" })).rejects.toMatchObject({ exitCode: 2 });
  });

  it("runs list: id, status, repo name, model, age and the prompt's first line", async () => {
    const now = Date.now();
    const runs = [
      run({
        id: "run-2",
        status: "running",
        repoId: "a",
        model: "openai-compatible/coder",
        prompt: "\nFix the login bug\nand add a test",
        createdAt: new Date(now - 5 * 60_000 - 500).toISOString(),
      }),
      run({
        id: "run-1",
        status: "pending",
        repoId: "gone",
        model: null,
        prompt: `Rename ${"x".repeat(100)}`,
        createdAt: new Date(now - 3 * 86_400_000).toISOString(),
      }),
    ];
    const api = {
      listRepos: async () => ({ repos: [repo("a")], nextCursor: null }),
      listRuns: async () => ({ runs, nextCursor: null }),
    } as unknown as Api;
    const ctx = testCtx();
    await runsList(ctx, api, {});
    expect(ctx.stdout).toEqual([
      "run-2  running    acme/a  openai-compatible/coder   5m ago  Fix the login bug",
      `run-1  pending    gone  (default, resolved at start)   3d ago  Rename ${"x".repeat(64)}…`,
    ]);
    // --json prints the runs as the API gave them, prompt and all, and needs no repo names.
    const json = testCtx();
    await runsList(json, { ...api, listRepos: undefined } as unknown as Api, { json: true });
    expect(json.stdout.map((l) => JSON.parse(l) as Run)).toEqual(runs);
  });

  it("runs get: the repo's name, the model used and the whole prompt", async () => {
    const api = {
      getRun: async () => ({
        run: run({
          status: "failed",
          repoId: "a",
          source: "cli",
          harness: "mogplex",
          model: "anthropic/claude-sonnet-4-5",
          prompt: "Fix it\n\nDetails here",
          branch: { base: "main", working: "mogplex/run/x", createBranch: true },
          rootDirectory: "",
          sandboxId: null,
          createdAt: "2030-01-01T00:00:00.000Z",
          startedAt: null,
          finishedAt: null,
          error: "boom",
          usage: { inputTokens: 1, outputTokens: 2, costUsd: 0 },
        }),
      }),
      getRepo: async () => ({ repo: repo("a") }),
    } as unknown as Api;
    const ctx = testCtx();
    await runGet(ctx, api, "run-1", {});
    expect(ctx.stdout).toContain("repo     acme/a (a)");
    expect(ctx.stdout).toContain("model    anthropic/claude-sonnet-4-5");
    expect(ctx.stdout.slice(-4)).toEqual(["prompt", "  Fix it", "", "  Details here"]);
  });

  it("cancel says what happened", async () => {
    const cases: Array<[{ run: Run; alreadyTerminal: boolean }, string]> = [
      [{ run: run({ status: "cancelled" }), alreadyTerminal: false }, "cancelled run run-1"],
      [
        { run: run({ status: "running" }), alreadyTerminal: false },
        "cancel requested for run run-1 (running)",
      ],
      [{ run: run({ status: "success" }), alreadyTerminal: true }, "run run-1 was already success"],
    ];
    for (const [answer, line] of cases) {
      const ctx = testCtx();
      await runCancel(ctx, { cancelRun: async () => answer } as unknown as Api, "run-1", {});
      expect(ctx.stdout).toEqual([line]);
    }
  });
});

describe("auth status and logout", () => {
  it("status names the winning source and what it shadows, never a secret; none → 64", () => {
    const ctx = testCtx({ OPENAI_API_KEY: "sk-visible-nowhere" });
    ctx.store.update((d) => {
      d.mogplex = {
        type: "mogplex",
        url: "http://127.0.0.1:4100",
        token: TOKEN,
        prefix: "",
        expiresAt: null,
        method: "token",
        savedAt: "",
      };
    });
    authStatus(ctx, {});
    const text = ctx.stdout.join("\n");
    expect(text).toContain("Authenticated via environment variable OPENAI_API_KEY (OpenAI)");
    expect(text).toContain("also present (not used first): Mogplex account login");
    expect(text).toContain("Mogplex API: http://127.0.0.1:4100");
    expect(text).not.toContain("sk-visible-nowhere");
    expect(text).not.toContain(TOKEN);
    expect(() => authStatus(testCtx(), {})).toThrow(expect.objectContaining({ exitCode: 64 }));
  });

  it("logout removes the login, warns that the token lives on, and names a still-set env var", () => {
    const ctx = testCtx({ MOGPLEX_API_KEY: TOKEN });
    ctx.store.update((d) => {
      d.mogplex = {
        type: "mogplex",
        url: "http://x",
        token: TOKEN,
        prefix: "",
        expiresAt: "2031-02-03T00:00:00.000Z",
        method: "token",
        savedAt: "",
      };
      d.keys.openai = { type: "api_key", key: "sk-keep", savedAt: "" };
    });
    logout(ctx, {});
    expect(ctx.store.read().mogplex).toBeUndefined();
    expect(ctx.store.read().keys.openai?.key).toBe("sk-keep");
    expect(ctx.stdout.join("\n")).toContain("stays valid on the server (until 2031-02-03)");
    expect(ctx.stdout.join("\n")).toContain(
      "MOGPLEX_API_KEY is still set in your environment: the next session will authenticate with it",
    );
    const provider = testCtx({ OPENAI_API_KEY: "sk-env" });
    provider.store.update((d) => {
      d.keys.openai = { type: "api_key", key: "sk-stored", savedAt: "" };
    });
    logout(provider, { provider: "openai" });
    expect(provider.store.read().keys).toEqual({});
    expect(provider.stdout.join("\n")).toContain("OPENAI_API_KEY is still set");
    expect(() => logout(testCtx(), { provider: "nope" })).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it("login without a terminal and without a mode is a usage error naming the modes", async () => {
    await expect(login(testCtx(), {})).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining("--device"),
    });
  });
});
