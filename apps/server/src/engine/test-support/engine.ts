// Engine test fixtures: a bare "remote" repo, a repo record pointing at it, and waits on run state.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Run, RunEvent } from "@mogplex/contract";
import { sql } from "kysely";
import type { Harness } from "../../test-support/harness.js";
import { uniq } from "../../test-support/harness.js";

const gitEnv = (home: string) => ({
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: home,
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.test",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.test",
});

export function gitIn(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, ...args], { env: gitEnv(dir), stdio: ["ignore", "pipe", "pipe"] })
    .toString()
    .trim();
}

/** A bare repository (the run's remote) whose `main` holds a README and a small package.json. */
export function bareRemote(parent: string, files: Record<string, string> = {}): string {
  const bare = join(parent, `${uniq("remote")}.git`);
  const work = join(parent, uniq("seed"));
  mkdirSync(work, { recursive: true });
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", bare], { env: gitEnv(parent) });
  gitIn(work, "init", "-q", "-b", "main");
  const all = { "README.md": "# demo\n", "src/app.txt": "one\ntwo\n", ...files };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(join(work, path, ".."), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  gitIn(work, "add", "-A");
  gitIn(work, "commit", "-q", "-m", "initial");
  gitIn(work, "push", "-q", bare, "main");
  return bare;
}

export async function addRepo(
  h: Harness,
  teamId: string,
  source: string,
  extra: { installCommand?: string; environmentSource?: string; rootDirectory?: string } = {},
): Promise<string> {
  const r = await h.s.repos.add(
    { teamId, fullName: `acme/${uniq("r")}`, sourceUrl: source, defaultBranch: "main", ...extra },
    { actorType: "system", actorId: null },
  );
  return r.id;
}

const TERMINAL = ["success", "failed", "cancelled"];

/** Polls the run until it ends; fails the test after `ms`. */
export async function untilTerminal(h: Harness, teamId: string, runId: string, ms = 20_000): Promise<Run> {
  const { toRun } = await import("../../runs/service.js");
  const until = Date.now() + ms;
  for (;;) {
    const row = await h.s.runs.get(teamId, runId);
    if (TERMINAL.includes(row.status)) return toRun(row);
    if (Date.now() > until) throw new Error(`run ${runId} still ${row.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls stored events until one matches; fails the test after `ms`. */
export async function untilEvent(
  h: Harness,
  runId: string,
  match: (e: RunEvent) => boolean,
  ms = 15_000,
): Promise<RunEvent> {
  const until = Date.now() + ms;
  for (;;) {
    const { events } = await h.s.events.list(runId, 0, 1000);
    const hit = events.find(match);
    if (hit) return hit;
    if (Date.now() > until) throw new Error(`no matching event on run ${runId} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function allEvents(h: Harness, runId: string): Promise<RunEvent[]> {
  return (await h.s.events.list(runId, 0, 1000)).events;
}

/**
 * Environment for another process (or an admin action) to use the harness's database: its data directory
 * and secrets, and on PostgreSQL the same database with the harness's own schema first on the search path.
 */
export async function harnessEnv(h: Harness): Promise<Record<string, string>> {
  const secrets = h.s.config.secrets;
  const env: Record<string, string> = {
    MOGPLEX_DATA_DIR: h.dataDir,
    MOGPLEX_LOG_LEVEL: "warn",
    MOGPLEX_ENCRYPTION_KEY: secrets.encryptionKey as string,
    MOGPLEX_SIGNING_SECRET: secrets.signingSecret as string,
    MOGPLEX_AUTH_SECRET: secrets.authSecret as string,
    MOGPLEX_REGISTRY_SIGNING_KEY: secrets.registrySigningKey as string,
    MOGPLEX_REGISTRY_URL_SECRET: secrets.registryUrlSecret as string,
  };
  if (h.dialect === "postgres") {
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(h.s.db.db)).rows[0]
      ?.s as string;
    const url = new URL(h.s.config.databaseUrl as string);
    url.searchParams.set("options", `-c search_path=${schema}`);
    env.DATABASE_URL = url.toString();
    env.REDIS_URL = h.s.config.redisUrl as string;
  }
  return env;
}
