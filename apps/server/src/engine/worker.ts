// The run worker: claims runs durably, executes up to N at once, heartbeats, notices cancels, recovers the lost.
import { existsSync, readdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { isDatabaseUnavailable } from "../db/unavailable.js";
import type { Logger } from "../logger.js";
import type { SandboxProvider } from "../sandboxes/provider/types.js";
import { newId } from "../security/random.js";
import type { Services } from "../services.js";
import { executeRun, RunExecution } from "./execute.js";
import { ProviderKeyStore } from "./provider-keys.js";
import { EngineStore } from "./store.js";

export interface WorkerOptions {
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
  provider: SandboxProvider;
  logger?: Logger;
}

/** How long cancel waits for the run to reach its end state before answering anyway. */
const CANCEL_WAIT_MS = 5_000;
/** How often leftovers of crashed workers on this machine are looked for. */
const SWEEP_MS = 60_000;
/** Longest pause between claim attempts while claiming keeps failing (the database is away). */
const MAX_CLAIM_BACKOFF_MS = 30_000;

function within(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve();
      },
      () => {
        clearTimeout(t);
        resolve();
      },
    );
  });
}

export class Worker {
  readonly id = `${hostname()}:${process.pid}:${newId().slice(0, 8)}`;
  readonly store: EngineStore;
  private readonly keys: ProviderKeyStore;
  private readonly active = new Map<string, RunExecution>();
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  /** Between ticks: heartbeats, cancel polls, claims. At most a third of the lease. */
  private readonly tickMs: number;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private lastSweep = 0;
  private readonly sandboxRoot: string;
  private maintaining = false;
  private unsubscribes = new Map<string, () => void>();
  /** When each active run's lease was last written (claim or heartbeat, our clock): it holds until + leaseMs. */
  private readonly renewed = new Map<string, number>();
  private claimBackoffMs = 0;
  private claimRetryAt = 0;
  /** Set while the database fails us, so an outage is logged once when it starts and once when it ends. */
  private databaseDown = false;

  constructor(
    private readonly s: Services,
    private readonly o: WorkerOptions,
  ) {
    const cfg = s.config.engine.worker;
    this.concurrency = o.concurrency ?? cfg.concurrency;
    this.leaseMs = o.leaseMs ?? cfg.leaseMs;
    this.pollMs = o.pollMs ?? cfg.pollMs;
    // Heartbeats at least three times per lease, so one slow round trip never costs the lease.
    this.tickMs = Math.min(this.pollMs, Math.floor(this.leaseMs / 3));
    this.logger = o.logger ?? s.logger;
    this.store = new EngineStore(s.db.db, s.db.dialect, s.clock, s.events);
    this.keys = new ProviderKeyStore(s.db.db, s.keyring, s.clock);
    this.sandboxRoot = join(s.config.dataDir, "sandboxes");
  }

  async start(): Promise<void> {
    if (this.concurrency > 0) {
      const status = await this.o.provider.check();
      if (!status.ok) {
        // Said once at start; each run then fails with the same actionable reason (never runs unsandboxed).
        this.logger.warn(
          { provider: this.o.provider.name, reason: status.reason },
          "sandboxes unavailable: runs will fail",
        );
      }
      await this.sweep().catch((err: Error) =>
        this.logger.warn({ err: { message: err.message } }, "sweep failed"),
      );
    }
    this.s.runs.onCreated(() => this.wake());
    this.s.runs.setCancelHandler(async (runId) => {
      const x = this.active.get(runId);
      if (!x) return false;
      x.abort("cancel");
      await within(x.done, CANCEL_WAIT_MS);
      return true;
    });
    this.s.sandboxes.setStopper(async (sandboxId) => {
      for (const x of this.active.values()) {
        if (x.sandboxId !== sandboxId) continue;
        x.abort("stopped");
        // Only the processes: the sandbox service writes the stopped record (and its audit row) itself.
        await within(x.killed, CANCEL_WAIT_MS);
      }
    });
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.wake();
  }

  /** Runs executing here right now. */
  get running(): string[] {
    return [...this.active.keys()];
  }

  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async pump(): Promise<void> {
    // While claims fail, wait longer each time (up to MAX_CLAIM_BACKOFF_MS) instead of hammering the database.
    if (Date.now() < this.claimRetryAt) return;
    try {
      while (!this.stopped && this.active.size < this.concurrency) {
        const at = this.s.clock.now();
        const run = await this.store.claim(this.id, this.leaseMs);
        this.claimBackoffMs = 0;
        this.recovered();
        if (!run) return;
        this.launch(run, at);
      }
    } catch (err) {
      this.claimBackoffMs = Math.min(MAX_CLAIM_BACKOFF_MS, Math.max(this.pollMs, this.claimBackoffMs * 2));
      this.claimRetryAt = Date.now() + this.claimBackoffMs;
      this.trouble("claiming runs", err);
    }
  }

  /** Logs a failure; the database being away is said once per outage, not on every tick. */
  private trouble(what: string, err: unknown): void {
    const message = (err as Error).message;
    if (!isDatabaseUnavailable(err)) {
      this.logger.warn({ err: { message } }, `${what} failed`);
      return;
    }
    if (this.databaseDown) return;
    this.databaseDown = true;
    this.logger.warn(
      { err: { message } },
      "database unavailable: claims back off, and runs whose lease can't be renewed stop as lost",
    );
  }

  private recovered(): void {
    if (!this.databaseDown) return;
    this.databaseDown = false;
    this.logger.info("database reachable again");
  }

  private launch(run: Parameters<typeof executeRun>[0]["run"], claimedAt: number): void {
    const x = new RunExecution(run);
    this.active.set(run.id, x);
    this.renewed.set(run.id, claimedAt);
    // Live bus (in-process, or Redis across replicas) for a prompt reaction; the poll below covers the rest.
    this.unsubscribes.set(
      run.id,
      this.s.events.subscribe(run.id, (e) => {
        if (e.type === "cancel_requested") x.abort("cancel");
      }),
    );
    x.done = (async () => {
      try {
        const started = await this.store.start(run.id, this.id, { worker: this.id, model: run.model });
        if (!started) {
          await this.store.release(run.id, this.id);
          return;
        }
        await executeRun(x, {
          s: this.s,
          store: this.store,
          provider: this.o.provider,
          keys: this.keys,
          config: this.s.config.engine,
          logger: this.logger,
          sandboxRoot: this.sandboxRoot,
        });
      } catch (err) {
        // With the database away the run's end could not be written: its lease runs out and it ends as lost.
        if (isDatabaseUnavailable(err)) this.trouble(`run ${run.id}`, err);
        else
          this.logger.error(
            { runId: run.id, err: { message: (err as Error).message } },
            "run execution crashed",
          );
      } finally {
        this.unsubscribes.get(run.id)?.();
        this.unsubscribes.delete(run.id);
        this.active.delete(run.id);
        this.renewed.delete(run.id);
        this.wake();
      }
    })();
  }

  private tick(): void {
    if (this.stopped) return;
    this.stopUnrenewed();
    this.wake();
    if (this.maintaining) return;
    this.maintaining = true;
    this.maintain()
      .catch((err: unknown) => this.trouble("worker upkeep", err))
      .finally(() => {
        this.maintaining = false;
      });
  }

  /**
   * A lease we could not renew (the database is away, or this worker is cut off from it) runs out at its last
   * renewal + leaseMs; from then on any worker may fail the run as worker_lost. So the execution stops, its
   * sandbox killed, while the lease still holds — when less than a tick of it is left — and the run is never
   * left going on where nobody owns it, nor run again. Checked here, not after a heartbeat returns, because a
   * heartbeat to an unreachable database may take a while to fail.
   */
  private stopUnrenewed(): void {
    const now = this.s.clock.now();
    for (const x of this.active.values()) {
      const at = this.renewed.get(x.run.id);
      if (at === undefined || x.reason || now + this.tickMs < at + this.leaseMs) continue;
      this.logger.warn({ runId: x.run.id }, "run lease could not be renewed: stopping the run as lost");
      x.abort("lease_lost");
    }
  }

  /** Heartbeats our leases, picks up cancels and stops recorded by other processes, recovers expired runs. */
  private async maintain(): Promise<void> {
    const runs = [...this.active.values()];
    for (const x of runs) {
      const at = this.s.clock.now();
      try {
        if (await this.store.heartbeat(x.run.id, this.id, this.leaseMs)) this.renewed.set(x.run.id, at);
        else x.abort("lease_lost");
      } catch (err) {
        // Not lost yet: the lease holds for a while, and stopUnrenewed() ends the run before it runs out.
        this.trouble("heartbeat", err);
      }
    }
    const cancelled = await this.store.cancelRequested(runs.map((x) => x.run.id));
    const sandboxIds = runs.map((x) => x.sandboxId).filter((id): id is string => id !== null);
    const stopped = await this.store.stoppedSandboxes(sandboxIds);
    for (const x of runs) {
      if (cancelled.has(x.run.id)) x.abort("cancel");
      else if (x.sandboxId && stopped.has(x.sandboxId)) x.abort("stopped");
    }
    const lost = await this.store.recoverExpired();
    this.recovered();
    if (lost.length > 0) this.logger.warn({ runs: lost }, "runs failed: their worker was lost");
    if (this.concurrency > 0 && (lost.length > 0 || Date.now() - this.lastSweep > SWEEP_MS))
      await this.sweep();
  }

  /**
   * Removes sandbox directories (and cgroups) whose record is no longer live: what a crashed worker on this
   * machine left behind. Records go live before their directory exists, so a sandbox being set up is kept.
   */
  private async sweep(): Promise<void> {
    this.lastSweep = Date.now();
    if (!existsSync(this.sandboxRoot)) return;
    const names = readdirSync(this.sandboxRoot).filter((n) => /^[0-9a-f-]{36}$/.test(n));
    if (names.length === 0) return;
    const live = await this.s.db.db
      .selectFrom("sandboxes")
      .select("id")
      .where("id", "in", names)
      .where("status", "in", ["creating", "installing", "running"])
      .execute();
    const keep = new Set([...live.map((r) => r.id), ...[...this.active.values()].map((x) => x.sandboxId)]);
    for (const name of names) {
      if (!keep.has(name)) await this.o.provider.cleanup(name, join(this.sandboxRoot, name));
    }
  }

  /** Stops claiming; runs still executing end as failed (worker_stopped) with their sandboxes killed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.pumping;
    for (const x of this.active.values()) x.abort("shutdown");
    await Promise.all([...this.active.values()].map((x) => x.done));
  }
}
