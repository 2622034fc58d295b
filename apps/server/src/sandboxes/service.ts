// Sandbox records: listing, reading and stopping, always within the caller's team.
import type { Sandbox } from "@mogplex/contract";
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import { type Clock, iso } from "../clock.js";
import { decodeCursor, olderThan, pageOf } from "../db/pagination.js";
import type { DB, SandboxesTable } from "../db/schema.js";
import { notFound } from "../failure.js";
import { newId } from "../security/random.js";
import { PreviewRegistry } from "./previews.js";

export function toSandbox(r: SandboxesTable): Sandbox {
  return {
    id: r.id,
    repoId: r.repo_id,
    runId: r.run_id,
    status: r.status as Sandbox["status"],
    baseBranch: r.base_branch,
    workingBranch: r.working_branch,
    rootDirectory: r.root_directory,
    previewUrl: r.preview_url,
    stopReason: r.stop_reason as Sandbox["stopReason"],
    createdAt: iso(Number(r.created_at)),
    lastActiveAt: iso(Number(r.last_active_at)),
    error: r.error,
  };
}

/** Called when a sandbox is asked to stop; the run engine registers the real one. */
export type SandboxStopper = (sandboxId: string) => Promise<void>;

export class SandboxService {
  private stopper: SandboxStopper | undefined;
  /** Dev servers of this process's sandboxes that the preview route can reach. */
  readonly previews = new PreviewRegistry();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  setStopper(stopper: SandboxStopper): void {
    this.stopper = stopper;
  }

  async list(teamId: string, opts: { repoId?: string; status?: string; limit: number; cursor?: string }) {
    const cursor = decodeCursor(opts.cursor);
    let q = this.db.selectFrom("sandboxes").selectAll().where("team_id", "=", teamId);
    if (opts.repoId) q = q.where("repo_id", "=", opts.repoId);
    if (opts.status) q = q.where("status", "=", opts.status);
    if (cursor) q = q.where(olderThan(cursor));
    const rows = await q
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(opts.limit + 1)
      .execute();
    const { page, nextCursor } = pageOf(rows, opts.limit);
    return { sandboxes: page.map(toSandbox), nextCursor };
  }

  async get(teamId: string, id: string): Promise<SandboxesTable> {
    const row = await this.db
      .selectFrom("sandboxes")
      .selectAll()
      .where("id", "=", id)
      .where("team_id", "=", teamId)
      .executeTakeFirst();
    if (!row) throw notFound("Sandbox");
    return row;
  }

  /** Creates a record in `creating`; the run engine drives it from there. */
  async create(input: {
    teamId: string;
    repoId: string;
    runId: string | null;
    baseBranch: string;
    workingBranch: string | null;
    rootDirectory: string;
  }): Promise<SandboxesTable> {
    const now = this.clock.now();
    const row: SandboxesTable = {
      id: newId(),
      team_id: input.teamId,
      repo_id: input.repoId,
      run_id: input.runId,
      status: "creating",
      base_branch: input.baseBranch,
      working_branch: input.workingBranch,
      root_directory: input.rootDirectory,
      preview_url: null,
      stop_reason: null,
      error: null,
      created_at: now,
      last_active_at: now,
    };
    await this.db.insertInto("sandboxes").values(row).execute();
    return row;
  }

  /** Sets (or clears, with null) the preview URL of a sandbox and of its run, together. */
  async setPreviewUrl(sandboxId: string, url: string | null): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable("sandboxes")
        .set({ preview_url: url })
        .where("id", "=", sandboxId)
        .returning("run_id")
        .executeTakeFirst();
      if (row?.run_id) {
        await trx.updateTable("runs").set({ preview_url: url }).where("id", "=", row.run_id).execute();
      }
    });
  }

  async stop(
    teamId: string,
    id: string,
    ctx: AuditContext,
  ): Promise<{ sandbox: Sandbox; alreadyStopped: boolean }> {
    const row = await this.get(teamId, id);
    if (row.status === "stopped" || row.status === "error") {
      return { sandbox: toSandbox(row), alreadyStopped: true };
    }
    if (this.stopper) await this.stopper(id);
    const now = this.clock.now();
    const claimed = await this.db.transaction().execute(async (trx) => {
      // Conditional, so of several concurrent stops exactly one makes the change and writes the audit row.
      const res = await trx
        .updateTable("sandboxes")
        .set({ status: "stopped", stop_reason: "manual", last_active_at: now, preview_url: null })
        .where("id", "=", id)
        .where("team_id", "=", teamId)
        .where("status", "not in", ["stopped", "error"])
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return false;
      await this.audit.append(trx, ctx, {
        teamId,
        action: "sandbox.stopped",
        targetType: "sandbox",
        targetId: id,
      });
      return true;
    });
    return { sandbox: toSandbox(await this.get(teamId, id)), alreadyStopped: !claimed };
  }
}
