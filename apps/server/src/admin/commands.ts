// Operator commands (`mogplex admin …`): pure actions over the configured database, returning what to print.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Role } from "@mogplex/contract";
import { CreateTokenRequest } from "@mogplex/contract";
import type { AuditContext } from "../audit/store.js";
import { type ConfigOverrides, loadConfig } from "../config.js";
import { connect } from "../db/connect.js";
import { migrateToLatest } from "../db/migrate.js";
import { Failure } from "../failure.js";
import { checkRepoSettings, type RepoSettings } from "../repos/service.js";
import type { Services } from "../services.js";
import { isRole } from "../teams/service.js";
import { wire } from "../wiring.js";

/** A bad argument or state: the CLI prints the message as one line and exits non-zero. */
export class AdminError extends Error {}

/** `a, b,,c` → ["a", "b", "c"]; undefined stays undefined (the option was not given). */
export const commaList = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean);

const ADMIN_CTX: AuditContext = { actorType: "system", actorId: null, authSource: "admin-cli" };

/** Opens the configured services for one command; a Failure becomes the one-line AdminError. */
export async function withServices<T>(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  fn: (s: Services) => Promise<T>,
): Promise<T> {
  const services = await wire({ config: loadConfig(env, o), logger: undefined });
  try {
    return await fn(services);
  } catch (err) {
    if (err instanceof Failure) throw new AdminError(err.message);
    throw err;
  } finally {
    await services.close();
  }
}

export async function createUser(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: { email: string; name?: string; team?: string; role?: string; password: string },
): Promise<string> {
  const role = a.role ?? "owner";
  if (!isRole(role)) throw new AdminError(`--role must be one of owner, admin, member, viewer`);
  return withServices(env, o, async (s) => {
    const { userId, teamId } = await s.identity.createUser(
      { email: a.email, name: a.name ?? a.email.split("@")[0] ?? a.email, password: a.password },
      { slug: a.team ?? "default", role: role as Role },
      ADMIN_CTX,
    );
    return `created user ${userId} (${a.email.toLowerCase()}) as ${role} of team ${a.team ?? "default"} (${teamId})`;
  });
}

export async function createToken(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: {
    email: string;
    name: string;
    scopes?: string;
    expiresInDays?: string;
    team?: string;
    ipAllowlist?: string;
  },
): Promise<string> {
  const scopes = commaList(a.scopes);
  let expires: number | undefined;
  if (a.expiresInDays !== undefined) {
    if (!/^\d+$/.test(a.expiresInDays)) throw new AdminError("--expires-in-days must be a positive integer");
    expires = Number(a.expiresInDays);
  }
  const parsed = CreateTokenRequest.safeParse({
    name: a.name,
    scopes,
    expiresInDays: expires,
    ipAllowlist: commaList(a.ipAllowlist),
  });
  if (!parsed.success) throw new AdminError(parsed.error.issues[0]?.message ?? "invalid token request");
  return withServices(env, o, async (s) => {
    const user = await s.identity.findUserByEmail(a.email);
    if (!user) throw new AdminError(`no user with email ${a.email}`);
    const teamId = await s.identity.activeTeam(user.id, a.team);
    if (!teamId)
      throw new AdminError(
        a.team ? `${a.email} is not a member of team ${a.team}` : `${a.email} is not a member of any team`,
      );
    const created = await s.tokens.create(user.id, teamId, parsed.data, {
      ...ADMIN_CTX,
      actorType: "system",
    });
    return created.token;
  });
}

/** Accepts a clone URL, or a local working or bare git repository (stored as an absolute path). */
export function resolveRepoSource(path: string): string {
  if (/^(https?|ssh|git|file):\/\//.test(path) || /^[\w.-]+@[\w.-]+:/.test(path)) return path;
  const abs = resolve(path);
  if (!existsSync(abs) || !statSync(abs).isDirectory())
    throw new AdminError(`--path ${path}: no such directory or clone URL`);
  try {
    execFileSync("git", ["-C", abs, "rev-parse", "--git-dir"], { stdio: "ignore" });
  } catch {
    throw new AdminError(`--path ${path}: not a git repository`);
  }
  return abs;
}

/** A repo's run settings as flags give them: strings; "" clears a field; the port must be a whole number. */
export interface RepoSettingFlags {
  installCommand?: string;
  devCommand?: string;
  port?: string;
  envSource?: string;
}

function settingsFromFlags(a: RepoSettingFlags): RepoSettings {
  const out: RepoSettings = {};
  if (a.installCommand !== undefined) out.installCommand = a.installCommand;
  if (a.devCommand !== undefined) out.devCommand = a.devCommand;
  if (a.envSource !== undefined) out.environmentSource = a.envSource;
  if (a.port !== undefined) {
    if (a.port.trim() === "") out.port = null;
    else if (/^\d{1,5}$/.test(a.port.trim())) out.port = Number(a.port.trim());
    else throw new AdminError('--port must be a whole number from 1024 to 65535 (or "" to clear it)');
  }
  try {
    return checkRepoSettings(out);
  } catch (err) {
    if (err instanceof Failure) throw new AdminError(err.message.replace(/^(\w+)Command:/, "--$1-command:"));
    throw err;
  }
}

export async function addRepo(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: {
    team: string;
    name: string;
    path: string;
    defaultBranch?: string;
    rootDirectory?: string;
  } & RepoSettingFlags,
): Promise<string> {
  const source = resolveRepoSource(a.path);
  const settings = settingsFromFlags(a);
  return withServices(env, o, async (s) => {
    const team = await s.teams.findBySlug(a.team);
    if (!team) throw new AdminError(`no team with slug ${a.team}`);
    const repo = await s.repos.add(
      {
        teamId: team.id,
        fullName: a.name,
        sourceUrl: source,
        defaultBranch: a.defaultBranch,
        rootDirectory: a.rootDirectory,
        ...settings,
      },
      ADMIN_CTX,
    );
    return repo.id;
  });
}

/** `mogplex admin update-repo --repo <id>`: changes the given run settings, keeps the rest; prints them. */
export async function updateRepo(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: { repo: string } & RepoSettingFlags,
): Promise<string> {
  const settings = settingsFromFlags(a);
  if (Object.keys(settings).length === 0)
    throw new AdminError("nothing to change: give --install-command, --dev-command, --port or --env-source");
  return withServices(env, o, async (s) => {
    const row = await s.db.db
      .selectFrom("repos")
      .select("team_id")
      .where("id", "=", a.repo)
      .executeTakeFirst();
    if (!row) throw new AdminError(`no repo with id ${a.repo}`);
    const r = await s.repos.updateSettings(row.team_id, a.repo, settings, ADMIN_CTX);
    const show = (v: string | number | null) => (v === null ? "(none)" : String(v));
    return [
      `updated ${r.fullName}:`,
      `  install command: ${show(r.installCommand)}`,
      `  dev command: ${show(r.devCommand)}`,
      `  port: ${show(r.port)}`,
      `  environment source: ${show(r.environmentSource)}`,
    ].join("\n");
  });
}

export async function auditVerify(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
): Promise<{ ok: boolean; message: string }> {
  return withServices(env, o, async (s) => {
    const r = await s.audit.verify(s.db.db);
    if (r.ok) return { ok: true, message: `audit log intact: ${r.rows} rows verified` };
    return {
      ok: false,
      message: `audit log broken at row seq ${r.brokenSeq} (id ${r.brokenId}): ${r.reason}`,
    };
  });
}

export async function migrate(env: NodeJS.ProcessEnv, o: ConfigOverrides): Promise<string> {
  const config = loadConfig(env, o);
  const db = connect({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    const applied = await migrateToLatest(db.db, db.dialect);
    return applied.length ? `applied ${applied.join(", ")}` : "database is up to date";
  } finally {
    await db.close();
  }
}

export async function backup(env: NodeJS.ProcessEnv, o: ConfigOverrides, file: string): Promise<string> {
  const config = loadConfig(env, o);
  if (config.databaseUrl)
    throw new AdminError("backup copies the embedded SQLite database; for PostgreSQL use pg_dump");
  const target = resolve(file);
  if (existsSync(target)) throw new AdminError(`${file} already exists; choose a new file`);
  const db = connect({ dataDir: config.dataDir });
  try {
    // SQLite's online backup API: consistent while the server keeps writing.
    await db.sqlite?.backup(target);
    return `backup written to ${target}`;
  } finally {
    await db.close();
  }
}
