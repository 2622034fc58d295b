// Repos belong to one team; every read is scoped by that team (another team's repo is "not found").
import { normaliseRootDirectory, type Repo } from "@mogplex/contract";
import { type Kysely, type SqlBool, sql } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import { type Clock, iso } from "../clock.js";
import { decodeCursor, olderThan, pageOf } from "../db/pagination.js";
import type { DB, ReposTable } from "../db/schema.js";
import { badRequest, failure, notFound } from "../failure.js";
import { newId } from "../security/random.js";

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

export interface AddRepoInput {
  teamId: string;
  fullName: string;
  sourceUrl: string;
  defaultBranch?: string;
  rootDirectory?: string;
  installCommand?: string | null;
  devCommand?: string | null;
  port?: number | null;
  environmentSource?: string | null;
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
    const row: ReposTable = {
      id: newId(),
      team_id: input.teamId,
      full_name: input.fullName,
      source_url: input.sourceUrl,
      default_branch: input.defaultBranch ?? "main",
      root_directory: root,
      install_command: input.installCommand ?? null,
      dev_command: input.devCommand ?? null,
      port: input.port ?? null,
      environment_source: input.environmentSource ?? null,
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
}
