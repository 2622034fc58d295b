// Repos belong to one team; every read is scoped by that team (another team's repo is "not found").
import { normaliseRootDirectory, type Repo, RepoSettingsBody } from "@mogplex/contract";
import { type Kysely, type SqlBool, sql } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import { type Clock, iso } from "../clock.js";
import { decodeCursor, olderThan, pageOf } from "../db/pagination.js";
import type { DB, ReposTable } from "../db/schema.js";
import { badRequest, failure, notFound } from "../failure.js";
import { newId } from "../security/random.js";

export interface RepoSettings {
  installCommand?: string | null;
  devCommand?: string | null;
  port?: number | null;
  environmentSource?: string | null;
}

const SETTING_COLUMNS = {
  installCommand: "install_command",
  devCommand: "dev_command",
  port: "port",
  environmentSource: "environment_source",
} as const;

/** Checks a repo's run settings with the contract's rules (one line naming the field); "" clears a field. */
export function checkRepoSettings(input: RepoSettings): RepoSettings {
  const parsed = RepoSettingsBody.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(`${issue?.path.join(".") || "settings"}: ${issue?.message ?? "invalid"}`);
  }
  const out: RepoSettings = {};
  for (const [k, v] of Object.entries(parsed.data) as Array<[keyof RepoSettings, string | number | null]>) {
    if (v === undefined) continue;
    const value = typeof v === "string" ? v.trim() || null : v;
    (out as Record<string, unknown>)[k] = value;
  }
  return out;
}

export function toRepo(r: ReposTable): Repo {
  return {
    id: r.id,
    teamId: r.team_id,
    fullName: r.full_name,
    defaultBranch: r.default_branch,
    rootDirectory: r.root_directory,
    installCommand: r.install_command,
    devCommand: r.dev_command,
    port: r.port,
    environmentSource: r.environment_source,
    createdAt: iso(Number(r.created_at)),
  };
}

export interface AddRepoInput extends RepoSettings {
  teamId: string;
  fullName: string;
  sourceUrl: string;
  defaultBranch?: string;
  rootDirectory?: string;
}

const FULL_NAME = /^[A-Za-z0-9._-]{1,100}\/[A-Za-z0-9._-]{1,100}$/;

export class RepoService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async list(teamId: string, opts: { q?: string; limit: number; cursor?: string }) {
    const cursor = decodeCursor(opts.cursor);
    let q = this.db.selectFrom("repos").selectAll().where("team_id", "=", teamId);
    if (opts.q) {
      // Same answer on both backends: lower() because PostgreSQL's LIKE is case-sensitive and SQLite's is
      // not; an explicit ESCAPE because SQLite has no default one, so % and _ in q would act as wildcards.
      const pattern = `%${opts.q.toLowerCase().replace(/[%_\\]/g, (m) => `\\${m}`)}%`;
      q = q.where(sql<SqlBool>`lower(full_name) like ${pattern} escape '\\'`);
    }
    if (cursor) q = q.where(olderThan(cursor));
    const rows = await q
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(opts.limit + 1)
      .execute();
    const { page, nextCursor } = pageOf(rows, opts.limit);
    return { repos: page.map(toRepo), nextCursor };
  }

  async get(teamId: string, id: string): Promise<ReposTable> {
    const row = await this.db
      .selectFrom("repos")
      .selectAll()
      .where("id", "=", id)
      .where("team_id", "=", teamId)
      .executeTakeFirst();
    if (!row) throw notFound("Repo");
    return row;
  }

  async add(input: AddRepoInput, ctx: AuditContext): Promise<Repo> {
    if (!FULL_NAME.test(input.fullName)) throw badRequest("name must look like owner/name");
    const root = normaliseRootDirectory(input.rootDirectory ?? "");
    if (root === null) throw badRequest("rootDirectory must be a relative path inside the repo");
    if (input.sourceUrl.length === 0 || input.sourceUrl.length > 2048) throw badRequest("path is required");
    const settings = checkRepoSettings({
      installCommand: input.installCommand,
      devCommand: input.devCommand,
      port: input.port,
      environmentSource: input.environmentSource,
    });
    const row: ReposTable = {
      id: newId(),
      team_id: input.teamId,
      full_name: input.fullName,
      source_url: input.sourceUrl,
      default_branch: input.defaultBranch ?? "main",
      root_directory: root,
      install_command: settings.installCommand ?? null,
      dev_command: settings.devCommand ?? null,
      port: settings.port ?? null,
      environment_source: settings.environmentSource ?? null,
      created_at: this.clock.now(),
    };
    await this.db.transaction().execute(async (trx) => {
      const clash = await trx
        .selectFrom("repos")
        .select("id")
        .where("team_id", "=", input.teamId)
        .where("full_name", "=", input.fullName)
        .executeTakeFirst();
      if (clash) throw failure("CONFLICT", `Repo ${input.fullName} already exists in this team`);
      await trx.insertInto("repos").values(row).execute();
      await this.audit.append(trx, ctx, {
        teamId: input.teamId,
        action: "repo.added",
        targetType: "repo",
        targetId: row.id,
        payload: { fullName: row.full_name, defaultBranch: row.default_branch },
      });
    });
    return toRepo(row);
  }

  /** Changes a repo's run settings (a field left out is kept); the audit row names the fields, not the values. */
  async updateSettings(teamId: string, id: string, input: RepoSettings, ctx: AuditContext): Promise<Repo> {
    const settings = checkRepoSettings(input);
    const set: Partial<ReposTable> = {};
    for (const [k, v] of Object.entries(settings) as Array<[keyof RepoSettings, never]>)
      set[SETTING_COLUMNS[k]] = v;
    await this.get(teamId, id);
    await this.db.transaction().execute(async (trx) => {
      if (Object.keys(set).length > 0) await trx.updateTable("repos").set(set).where("id", "=", id).execute();
      await this.audit.append(trx, ctx, {
        teamId,
        action: "repo.settings_updated",
        targetType: "repo",
        targetId: id,
        payload: { fields: Object.keys(settings) },
      });
    });
    return toRepo(await this.get(teamId, id));
  }
}
