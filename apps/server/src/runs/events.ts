// Run events: sanitised before they are stored, numbered per run, then published to live followers.
import type { RunEvent, RunEventType } from "@mogplex/contract";
import { type Kysely, sql } from "kysely";
import { type Clock, iso } from "../clock.js";
import type { Dialect } from "../db/connect.js";
import type { DB, RunEventsTable } from "../db/schema.js";
import { badRequest } from "../failure.js";
import { sanitizeEventPayload, sanitizeEventText } from "../sanitize/index.js";
import { newId } from "../security/random.js";
import type { EventBus } from "./bus.js";

export interface NewEvent {
  type: RunEventType;
  toolName?: string | null;
  message?: string | null;
  payload?: unknown;
}

export function toEvent(r: RunEventsTable): RunEvent {
  return {
    id: r.id,
    seq: Number(r.seq),
    type: r.type as RunEventType,
    toolName: r.tool_name,
    message: r.message,
    payload: r.payload === null ? null : (JSON.parse(r.payload) as unknown),
    createdAt: iso(Number(r.created_at)),
  };
}

export function parseAfter(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 0;
  if (!/^\d{1,12}$/.test(raw)) throw badRequest("after must be an event sequence number");
  return Number(raw);
}

export class RunEventStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
    private readonly clock: Clock,
    private readonly bus: EventBus,
  ) {}

  /**
   * Appends events inside `trx` (so they commit with the state change they describe). Returns the stored
   * events; call `publish` after the transaction commits.
   */
  async appendIn(
    trx: Kysely<DB>,
    runId: string,
    events: NewEvent[],
    knownSecrets: readonly string[] = [],
  ): Promise<RunEvent[]> {
    if (this.dialect === "postgres") {
      // One appender per run at a time, so seq stays gap-free and unique.
      await sql`select id from runs where id = ${runId} for update`.execute(trx);
    }
    const last = await trx
      .selectFrom("run_events")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .where("run_id", "=", runId)
      .executeTakeFirst();
    let seq = Number(last?.seq ?? 0);
    const now = this.clock.now();
    const rows: RunEventsTable[] = events.map((e) => ({
      id: newId(),
      run_id: runId,
      seq: ++seq,
      type: e.type,
      tool_name: e.toolName ?? null,
      message: e.message == null ? null : sanitizeEventText(e.message, { knownSecrets }),
      payload:
        e.payload === undefined ? null : JSON.stringify(sanitizeEventPayload(e.payload, { knownSecrets })),
      created_at: now,
    }));
    if (rows.length > 0) await trx.insertInto("run_events").values(rows).execute();
    return rows.map(toEvent);
  }

  async append(runId: string, events: NewEvent[], knownSecrets: readonly string[] = []): Promise<RunEvent[]> {
    const stored = await this.db
      .transaction()
      .execute((trx) => this.appendIn(trx, runId, events, knownSecrets));
    await this.publish(runId, stored);
    return stored;
  }

  async publish(runId: string, events: RunEvent[]): Promise<void> {
    for (const e of events) await this.bus.publish(runId, e);
  }

  async list(
    runId: string,
    afterSeq: number,
    limit: number,
  ): Promise<{ events: RunEvent[]; nextCursor: string | null }> {
    const rows = await this.db
      .selectFrom("run_events")
      .selectAll()
      .where("run_id", "=", runId)
      .where("seq", ">", afterSeq)
      .orderBy("seq", "asc")
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit).map(toEvent);
    const last = page[page.length - 1];
    return { events: page, nextCursor: rows.length > limit && last ? String(last.seq) : null };
  }

  subscribe(runId: string, listener: (e: RunEvent) => void): () => void {
    return this.bus.subscribe(runId, listener);
  }
}
