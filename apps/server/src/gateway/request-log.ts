// The gateway request log: one metadata row per request (never arguments, results or content), written in batches.
import type { Kysely } from "kysely";
import type { Clock } from "../clock.js";
import type { DB, GatewayRequestsTable } from "../db/schema.js";
import type { Logger } from "../logger.js";
import { newId } from "../security/random.js";
import type { ErrorClass } from "./errors.js";

export interface RequestLogEntry {
  keyId: string | null; // the gateway key's row id
  teamId: string | null;
  requestId: string;
  method: string;
  server?: string | null;
  tool?: string | null;
  status: "ok" | "error" | "denied" | "unauthorized" | "rate_limited";
  errorClass?: ErrorClass | null;
  latencyMs: number;
  /** The run a call was made for (team tools in runs). */
  runId?: string | null;
}

const FLUSH_AT = 200;
/** A flood (say, of bad keys) must not grow memory without bound: past this, rows are counted and dropped. */
const MAX_BUFFER = 20_000;

export class RequestLog {
  private buffer: GatewayRequestsTable[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  dropped = 0;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  record(e: RequestLogEntry): void {
    if (this.buffer.length >= MAX_BUFFER) {
      this.dropped++;
      return;
    }
    this.buffer.push({
      id: newId(),
      key_id: e.keyId,
      team_id: e.teamId,
      request_id: e.requestId.slice(0, 128),
      method: e.method.slice(0, 100),
      server: e.server?.slice(0, 64) ?? null,
      tool: e.tool?.slice(0, 200) ?? null,
      status: e.status,
      error_class: e.errorClass ?? null,
      latency_ms: Math.round(e.latencyMs * 1000) / 1000,
      run_id: e.runId ?? null,
      created_at: this.clock.now(),
    });
    if (this.buffer.length >= FLUSH_AT) void this.flush();
  }

  /** Writes everything buffered so far (tests call it before reading the table). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = (async () => {
      try {
        for (let i = 0; i < batch.length; i += 100) {
          await this.db
            .insertInto("gateway_requests")
            .values(batch.slice(i, i + 100))
            .execute();
        }
      } catch (err) {
        this.logger.error(
          { err: { message: (err as Error).message }, rows: batch.length },
          "gateway request log write failed",
        );
      } finally {
        this.flushing = undefined;
      }
    })();
    await this.flushing;
  }

  start(intervalMs = 1_000): void {
    this.timer ??= setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  async purgeOlderThan(cutoff: number): Promise<number> {
    const r = await this.db
      .deleteFrom("gateway_requests")
      .where("created_at", "<", cutoff)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
