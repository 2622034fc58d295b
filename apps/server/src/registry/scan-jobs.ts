// The scan queue: releases are claimed in the database (a conditional update on the row, so exactly one replica
// wins), kept by a heartbeat, and given back on shutdown; a claim whose holder died expires and is taken again.
import { sql } from "kysely";
import { sanitizeEventText } from "../sanitize/index.js";
import { newId } from "../security/random.js";
import type { RegistryDeps } from "./deps.js";
import { applyVerdict, type Verdict } from "./publish.js";
import type { ReleaseRow } from "./rows.js";

/** A release claimed this many times without an outcome is given up as `error` (never published). */
export const MAX_SCAN_ATTEMPTS = 3;

export class ScanJobs {
  readonly owner = `scan-${newId()}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | null = null;
  private again = false;
  private readonly aborts = new Set<AbortController>();
  private stopped = false;
  private started = false;

  constructor(private readonly d: RegistryDeps) {}

  /**
   * Polls for queued releases every `scanPollMs` (and at once); `wake()` starts a pass early. Without `start` the
   * queue only moves through `runOnce` (tests, or a process that does not scan).
   */
  start(): void {
    this.stopped = false;
    this.started = true;
    this.timer = setInterval(() => this.wake(), this.d.scanPollMs);
    this.timer.unref();
    this.wake();
  }

  wake(): void {
    if (this.stopped || !this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.runOnce().catch((err: unknown) =>
      this.d.logger.warn({ err: { message: (err as Error).message } }, "registry scan pass failed"),
    );
  }

  /** Claims and scans releases until none is claimable; resolves to how many were finished. */
  runOnce(): Promise<number> {
    if (this.running) return this.running;
    this.running = (async () => {
      let done = 0;
      try {
        do {
          this.again = false;
          for (;;) {
            if (this.stopped) return done;
            const release = await this.claim();
            if (!release) break;
            if (await this.process(release)) done++;
          }
        } while (this.again && !this.stopped);
      } finally {
        this.running = null;
      }
      return done;
    })();
    return this.running;
  }

  /** Stops polling, aborts scans in flight and hands their releases back to the queue. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    for (const a of this.aborts) a.abort();
    await this.running?.catch(() => undefined);
    await this.d.db
      .updateTable("registry_releases")
      .set({ scan_status: "queued", scan_owner: null, scan_expires_at: null })
      .where("scan_owner", "=", this.owner)
      .where("scan_status", "=", "scanning")
      .execute()
      .catch(() => undefined);
  }

  private claimable(now: number) {
    return sql<boolean>`(scan_status = 'queued' or (scan_status = 'scanning' and scan_expires_at < ${now}))`;
  }

  private async claim(): Promise<ReleaseRow | null> {
    const now = this.d.clock.now();
    const candidates = await this.d.db
      .selectFrom("registry_releases")
      .select("id")
      .where(this.claimable(now))
      .orderBy("created_at")
      .limit(5)
      .execute();
    for (const { id } of candidates) {
      const r = await this.d.db
        .updateTable("registry_releases")
        .set({
          scan_status: "scanning",
          scan_owner: this.owner,
          scan_expires_at: now + this.d.scanLeaseMs,
          scan_attempts: sql`scan_attempts + 1`,
          updated_at: now,
        })
        .where("id", "=", id)
        .where(this.claimable(now))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) continue;
      const row = await this.d.db
        .selectFrom("registry_releases")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      return { ...row, scan_attempts: Number(row.scan_attempts) };
    }
    return null;
  }

  private async process(release: ReleaseRow): Promise<boolean> {
    if (release.scan_attempts > MAX_SCAN_ATTEMPTS)
      return applyVerdict(this.d, release, this.owner, {
        status: "error",
        message: `scan did not finish after ${MAX_SCAN_ATTEMPTS} attempts`,
      });
    const abort = new AbortController();
    this.aborts.add(abort);
    const beat = setInterval(
      () => void this.heartbeat(release.id, abort),
      Math.max(1000, this.d.scanLeaseMs / 3),
    );
    beat.unref();
    let verdict: Verdict;
    try {
      verdict = await this.d.blobs.withFile(release.blob_sha256, (path) =>
        this.d.scanner.scan(path, { signal: abort.signal }),
      );
    } catch (err) {
      verdict = { status: "error", message: (err as Error).message || "the scan could not run" };
    } finally {
      clearInterval(beat);
      this.aborts.delete(abort);
    }
    // Stopped or lost the claim mid-scan: leave the release to whoever holds it now (or to the next start).
    if (abort.signal.aborted) return false;
    if (verdict.status === "error")
      this.d.logger.warn(
        { releaseId: release.id, reason: sanitizeEventText(verdict.message).slice(0, 500) },
        "registry scan could not run",
      );
    return applyVerdict(this.d, release, this.owner, verdict);
  }

  private async heartbeat(id: string, abort: AbortController): Promise<void> {
    const now = this.d.clock.now();
    try {
      const r = await this.d.db
        .updateTable("registry_releases")
        .set({ scan_expires_at: now + this.d.scanLeaseMs })
        .where("id", "=", id)
        .where("scan_owner", "=", this.owner)
        .where("scan_status", "=", "scanning")
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) abort.abort();
    } catch {
      // The database is away: the claim may expire; the outcome is written only if it is still ours.
    }
  }
}
