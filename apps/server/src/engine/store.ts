// The engine's SQL (all of it): durable run claims (leases with heartbeat), run state transitions, expiry recovery.
import type { RunEvent } from "@mogplex/contract";
import { type Kysely, sql } from "kysely";
import type { Clock } from "../clock.js";
import type { Dialect } from "../db/connect.js";
import type { DB, ReposTable, RunsTable } from "../db/schema.js";
import type { NewEvent, RunEventStore } from "../runs/events.js";

export type TerminalStatus = "success" | "failed" | "cancelled";

export interface Outcome {
  status: TerminalStatus;
  /** Stored on the run (already sanitised by the caller); null on success. */
  error: string | null;
  /** The terminal event's message and payload. */
  message: string;
  payload?: Record<string, unknown>;
  /** How the sandbox record ends, if this run has one and it is still live. */
  sandbox?: { status: "stopped" | "error"; stopReason?: string | null; error?: string | null };
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Claims made this many times without ever starting are failed rather than handed out again. */
export const MAX_CLAIM_ATTEMPTS = 3;

export class EngineStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
    private readonly clock: Clock,
    private readonly events: RunEventStore,
  ) {}

  /**
   * Takes the oldest pending run nobody holds a live lease on. PostgreSQL: FOR UPDATE SKIP LOCKED so workers
   * never wait on each other's candidate; SQLite: the IMMEDIATE transaction is the lock.
   */
  async claim(workerId: string, leaseMs: number): Promise<RunsTable | null> {
    // A candidate can be taken by another worker between our read and our write (PostgreSQL reads the lease
    // table as of the statement's start), so the write is conditional and a lost race tries the next one.
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await this.tryClaim(workerId, leaseMs);
      if (r !== "raced") return r;
    }
    return null;
  }

  private async tryClaim(workerId: string, leaseMs: number): Promise<RunsTable | null | "raced"> {
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      let q = trx
        .selectFrom("runs")
        .leftJoin("run_leases", "run_leases.run_id", "runs.id")
        .selectAll("runs")
        .where("runs.status", "=", "pending")
        .where((eb) => eb.or([eb("run_leases.run_id", "is", null), eb("run_leases.expires_at", "<", now)]))
        .where((eb) =>
          eb.or([eb("run_leases.attempts", "is", null), eb("run_leases.attempts", "<", MAX_CLAIM_ATTEMPTS)]),
        )
        .orderBy("runs.created_at")
        .orderBy("runs.id")
        .limit(1);
      if (this.dialect === "postgres") q = q.forUpdate(["runs"]).skipLocked();
      const run = await q.executeTakeFirst();
      if (!run) return null;
      const taken = await trx
        .insertInto("run_leases")
        .values({
          run_id: run.id,
          worker_id: workerId,
          claimed_at: now,
          heartbeat_at: now,
          expires_at: now + leaseMs,
          started: 0,
          attempts: 1,
        })
        .onConflict((oc) =>
          oc
            .column("run_id")
            .doUpdateSet({
              worker_id: workerId,
              claimed_at: now,
              heartbeat_at: now,
              expires_at: now + leaseMs,
              started: 0,
              attempts: sql`run_leases.attempts + 1`,
            })
            // Only an expired, never-started lease may be taken over; a live one means we lost the race.
            .where("run_leases.expires_at", "<", now)
            .where("run_leases.started", "=", 0),
        )
        .executeTakeFirst();
      return Number(taken.numInsertedOrUpdatedRows ?? 0) === 1 ? run : "raced";
    });
  }

  /** pending → running under our lease, with its events; false if the run was cancelled or the lease lost. */
  async start(runId: string, workerId: string, info: Record<string, unknown>): Promise<boolean> {
    let published: RunEvent[] = [];
    const ok = await this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const lease = await trx
        .updateTable("run_leases")
        .set({ started: 1, heartbeat_at: now })
        .where("run_id", "=", runId)
        .where("worker_id", "=", workerId)
        .executeTakeFirst();
      if (Number(lease.numUpdatedRows) !== 1) return false;
      const moved = await trx
        .updateTable("runs")
        .set({ status: "running", started_at: now, updated_at: now })
        .where("id", "=", runId)
        .where("status", "=", "pending")
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return false;
      published = await this.events.appendIn(trx, runId, [
        { type: "started", message: "Run started", payload: info },
        {
          type: "status_changed",
          message: "pending -> running",
          payload: { from: "pending", to: "running" },
        },
      ]);
      return true;
    });
    await this.events.publish(runId, published);
    return ok;
  }

  /** Extends our lease; false means it is gone (another worker recovered the run): stop touching it. */
  async heartbeat(runId: string, workerId: string, leaseMs: number): Promise<boolean> {
    const now = this.clock.now();
    const r = await this.db
      .updateTable("run_leases")
      .set({ heartbeat_at: now, expires_at: now + leaseMs })
      .where("run_id", "=", runId)
      .where("worker_id", "=", workerId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async release(runId: string, workerId: string): Promise<void> {
    await this.db
      .deleteFrom("run_leases")
      .where("run_id", "=", runId)
      .where("worker_id", "=", workerId)
      .execute();
  }

  /** running → terminal with its events, usage and the sandbox's end, in one transaction. */
  async finish(runId: string, outcome: Outcome, usage: Usage, sandboxId: string | null): Promise<boolean> {
    let published: RunEvent[] = [];
    const ok = await this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const moved = await trx
        .updateTable("runs")
        .set({
          status: outcome.status,
          error: outcome.error,
          finished_at: now,
          updated_at: now,
          input_tokens: usage.inputTokens,
          output_tokens: usage.outputTokens,
          cost_usd: usage.costUsd,
          preview_url: null,
        })
        .where("id", "=", runId)
        .where("status", "=", "running")
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return false;
      await trx.deleteFrom("run_leases").where("run_id", "=", runId).execute();
      if (sandboxId && outcome.sandbox) await this.endSandbox(trx, sandboxId, outcome.sandbox, now);
      const terminal: NewEvent = {
        type: outcome.status === "success" ? "finished" : outcome.status,
        message: outcome.message,
        payload: { ...outcome.payload, usage },
      };
      published = await this.events.appendIn(trx, runId, [
        {
          type: "status_changed",
          message: `running -> ${outcome.status}`,
          payload: { from: "running", to: outcome.status },
        },
        terminal,
      ]);
      return true;
    });
    await this.events.publish(runId, published);
    return ok;
  }

  /**
   * Ends runs whose worker stopped heartbeating: started ones fail with worker_lost (their sandbox died with
   * the worker: --die-with-parent), unstarted ones are left claimable unless they keep losing workers.
   */
  async recoverExpired(): Promise<string[]> {
    const now = this.clock.now();
    const expired = await this.db
      .selectFrom("run_leases")
      .select(["run_id", "started", "attempts"])
      .where("expires_at", "<", now)
      .limit(100)
      .execute();
    const failed: string[] = [];
    for (const lease of expired) {
      let published: RunEvent[] = [];
      const done = await this.db.transaction().execute(async (trx) => {
        let q = trx
          .selectFrom("runs")
          .innerJoin("run_leases", "run_leases.run_id", "runs.id")
          .select([
            "runs.status",
            "runs.sandbox_id",
            "run_leases.expires_at",
            "run_leases.started",
            "run_leases.attempts",
          ])
          .where("runs.id", "=", lease.run_id);
        if (this.dialect === "postgres") q = q.forUpdate(["runs"]).skipLocked();
        const row = await q.executeTakeFirst();
        if (!row || Number(row.expires_at) >= now) return false;
        const started = Number(row.started) === 1;
        if (!started && row.status === "pending" && Number(row.attempts) < MAX_CLAIM_ATTEMPTS) return false;
        await trx.deleteFrom("run_leases").where("run_id", "=", lease.run_id).execute();
        if (row.status !== "running" && row.status !== "pending") return false;
        const error = started
          ? "worker_lost: the worker executing this run stopped responding (its lease expired)"
          : `worker_lost: claimed ${row.attempts} times by workers that stopped before starting it`;
        await trx
          .updateTable("runs")
          .set({ status: "failed", error, finished_at: now, updated_at: now, preview_url: null })
          .where("id", "=", lease.run_id)
          .execute();
        if (row.sandbox_id) {
          await this.endSandbox(trx, row.sandbox_id, { status: "error", error: "worker_lost" }, now);
        }
        published = await this.events.appendIn(trx, lease.run_id, [
          {
            type: "status_changed",
            message: `${row.status} -> failed`,
            payload: { from: row.status, to: "failed" },
          },
          { type: "failed", message: error, payload: { reason: "worker_lost" } },
        ]);
        return true;
      });
      await this.events.publish(lease.run_id, published);
      if (done) failed.push(lease.run_id);
    }
    return failed;
  }

  /** Which of these runs have a cancel on record (for workers in another process than the API call). */
  async cancelRequested(runIds: string[]): Promise<Set<string>> {
    if (runIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom("run_events")
      .select("run_id")
      .where("run_id", "in", runIds)
      .where("type", "=", "cancel_requested")
      .execute();
    return new Set(rows.map((r) => r.run_id));
  }

  /** Which of these sandboxes were stopped through the API. */
  async stoppedSandboxes(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom("sandboxes")
      .select("id")
      .where("id", "in", ids)
      .where("status", "in", ["stopped", "error"])
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  async attachSandbox(runId: string, sandboxId: string): Promise<void> {
    await this.db
      .updateTable("runs")
      .set({ sandbox_id: sandboxId, updated_at: this.clock.now() })
      .where("id", "=", runId)
      .execute();
  }

  /** What the engine needs of the run's team: its slug (for messages) and default model. */
  async teamForRun(teamId: string): Promise<{ slug: string; default_model: string | null }> {
    return this.db
      .selectFrom("teams")
      .select(["slug", "default_model"])
      .where("id", "=", teamId)
      .executeTakeFirstOrThrow();
  }

  async repoForRun(repoId: string): Promise<ReposTable> {
    return this.db.selectFrom("repos").selectAll().where("id", "=", repoId).executeTakeFirstOrThrow();
  }

  /** The model the run resolved to (its own, the team default or MOGPLEX_DEFAULT_MODEL): what it really uses. */
  async recordModel(runId: string, modelId: string): Promise<void> {
    await this.db
      .updateTable("runs")
      .set({ model: modelId, updated_at: this.clock.now() })
      .where("id", "=", runId)
      .where("status", "=", "running")
      .execute();
  }

  async setUsage(runId: string, usage: Usage): Promise<void> {
    await this.db
      .updateTable("runs")
      .set({
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        cost_usd: usage.costUsd,
        updated_at: this.clock.now(),
      })
      .where("id", "=", runId)
      .where("status", "=", "running")
      .execute();
  }

  /** Moves a live sandbox record along (creating → installing → running); never revives a stopped one. */
  async sandboxStatus(id: string, status: "installing" | "running"): Promise<void> {
    await this.db
      .updateTable("sandboxes")
      .set({ status, last_active_at: this.clock.now() })
      .where("id", "=", id)
      .where("status", "not in", ["stopped", "error"])
      .execute();
  }

  async touchSandbox(id: string): Promise<void> {
    await this.db
      .updateTable("sandboxes")
      .set({ last_active_at: this.clock.now() })
      .where("id", "=", id)
      .where("status", "not in", ["stopped", "error"])
      .execute();
  }

  /** Ends a sandbox record that is still live, outside a run transition (the run ended elsewhere). */
  async endSandboxIfLive(id: string, end: NonNullable<Outcome["sandbox"]>): Promise<void> {
    await this.endSandbox(this.db, id, end, this.clock.now());
  }

  private async endSandbox(
    trx: Kysely<DB>,
    id: string,
    end: NonNullable<Outcome["sandbox"]>,
    now: number,
  ): Promise<void> {
    await trx
      .updateTable("sandboxes")
      .set({
        status: end.status,
        stop_reason: end.stopReason ?? null,
        error: end.error ?? null,
        last_active_at: now,
        preview_url: null,
      })
      .where("id", "=", id)
      .where("status", "not in", ["stopped", "error"])
      .execute();
  }
}
