// A run's sandbox setup: the environment it names (and nothing else), its egress allowlist, its root directory.
import type { Kysely } from "kysely";
import type { EngineConfig } from "../config/engine.js";
import { sealedContext } from "../connections/service.js";
import type { DB, ReposTable } from "../db/schema.js";
import { checkEnvName } from "../sandboxes/provider/bwrap-args.js";
import { validEgressPattern } from "../sandboxes/provider/egress.js";
import { WORKSPACE } from "../sandboxes/provider/types.js";
import type { Keyring } from "../security/envelope.js";

export class SetupError extends Error {
  override readonly name = "SetupError";
}

export interface RunSetup {
  env: Record<string, string>;
  /** Values from the environment source: redacted from every event the run stores. */
  secrets: string[];
  egressHosts: string[];
  /** The repo root inside the sandbox. */
  rootInside: string;
}

/** What every sandbox gets: enough for toolchains and git, nothing about the server. */
export function baseEnv(config: EngineConfig): Record<string, string> {
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: "/tmp",
    TMPDIR: "/tmp",
    LANG: "C.UTF-8",
    TERM: "dumb",
    CI: "1",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: config.git.authorName,
    GIT_AUTHOR_EMAIL: config.git.authorEmail,
    GIT_COMMITTER_NAME: config.git.authorName,
    GIT_COMMITTER_EMAIL: config.git.authorEmail,
  };
}

/**
 * The repo's environment source names where its variables come from. Supported: `connection:<name>`, a
 * team connection (team-global or this repo's) whose stored env values become the sandbox's variables.
 */
async function sourceEnv(
  db: Kysely<DB>,
  keyring: Keyring,
  repo: ReposTable,
): Promise<Record<string, string>> {
  const source = repo.environment_source?.trim();
  if (!source) return {};
  const m = /^connection:(.+)$/.exec(source);
  if (!m?.[1]) {
    throw new SetupError(
      `Unsupported environment source "${source}" on repo ${repo.full_name}: use connection:<name> ` +
        "(a team connection whose env values the sandbox gets) or leave it empty.",
    );
  }
  const name = m[1];
  const row = await db
    .selectFrom("connections")
    .select(["id", "env_enc", "enabled", "repo_id"])
    .where("team_id", "=", repo.team_id)
    .where("name", "=", name)
    .executeTakeFirst();
  if (!row || (row.repo_id !== null && row.repo_id !== repo.id)) {
    throw new SetupError(
      `Environment source connection "${name}" does not exist in this team (repo ${repo.full_name}).`,
    );
  }
  if (!row.enabled) throw new SetupError(`Environment source connection "${name}" is disabled.`);
  if (row.env_enc === null) return {};
  const values = JSON.parse(keyring.decrypt(row.env_enc, sealedContext(row.id, "env"))) as Record<
    string,
    string
  >;
  for (const k of Object.keys(values)) {
    if (!checkEnvName(k))
      throw new SetupError(`Environment source "${name}" has an invalid variable name: ${k}`);
  }
  return values;
}

export async function resolveSetup(
  db: Kysely<DB>,
  keyring: Keyring,
  config: EngineConfig,
  repo: ReposTable,
  rootDirectory: string,
): Promise<RunSetup> {
  const named = await sourceEnv(db, keyring, repo);
  const egress = await db
    .selectFrom("repo_egress")
    .select("hosts")
    .where("repo_id", "=", repo.id)
    .executeTakeFirst();
  const egressHosts = egress ? (JSON.parse(egress.hosts) as string[]).filter(validEgressPattern) : [];
  const root = rootDirectory.replace(/^\/+|\/+$/g, "");
  return {
    env: { ...baseEnv(config), ...named },
    secrets: Object.values(named),
    egressHosts,
    rootInside: root ? `${WORKSPACE}/${root}` : WORKSPACE,
  };
}

/** Sets (or clears, with an empty list) a repo's egress allowlist. */
export async function setRepoEgress(
  db: Kysely<DB>,
  repoId: string,
  hosts: string[],
  now: number,
): Promise<void> {
  const bad = hosts.find((h) => !validEgressPattern(h));
  if (bad) throw new SetupError(`"${bad}" is not a host name or *.suffix pattern`);
  if (hosts.length === 0) {
    await db.deleteFrom("repo_egress").where("repo_id", "=", repoId).execute();
    return;
  }
  const value = JSON.stringify([...new Set(hosts.map((h) => h.toLowerCase()))]);
  await db
    .insertInto("repo_egress")
    .values({ repo_id: repoId, hosts: value, updated_at: now })
    .onConflict((oc) => oc.column("repo_id").doUpdateSet({ hosts: value, updated_at: now }))
    .execute();
}
