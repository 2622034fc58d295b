// Run lifecycle rules: create (idempotent, budgeted, audited), read, list and cancel, scoped by team.

import type { TeamMember } from "@mogplex/contract";
import {
  type CreateRunRequest,
  PUBLIC_BASE,
  type Run,
  type RunEvent,
  type RunStatus,
  TERMINAL_RUN_STATUSES,
} from "@mogplex/contract";
import { type Kysely, sql } from "kysely";
import { canonicalJson } from "../audit/chain.js";
import type { AuditContext, AuditLog } from "../audit/store.js";
import { type Clock, iso } from "../clock.js";
import type { Dialect } from "../db/connect.js";
import { decodeCursor, olderThan, pageOf } from "../db/pagination.js";
import { precompile } from "../db/precompiled.js";
import type { DB, RunsTable } from "../db/schema.js";
import { failure, notFound } from "../failure.js";
import { retryAfterSeconds, type WindowRule } from "../limits/index.js";
import type { RepoService } from "../repos/service.js";
import { type RunPackages, storedPackages } from "../run-packages/releases.js";
import type { RunTools } from "../run-tools/service.js";
import { newId, sha256Hex } from "../security/random.js";
import { generatedBranchName } from "./branch.js";
import type { RunEventStore } from "./events.js";

const ID_SENTINEL = "\u0000run-id";
const TEAM_SENTINEL = "\u0000team-id";

export const HARNESSES = ["mogplex"] as const;

export function toRun(r: RunsTable): Run {
  return {
    id: r.id,
    repoId: r.repo_id,
    source: r.source as Run["source"],
    prompt: r.prompt,
    harness: r.harness,
    model: r.model,
    status: r.status as RunStatus,
    branch: { base: r.base_branch, working: r.working_branch, createBranch: Boolean(r.create_branch) },
    rootDirectory: r.root_directory,
    sandboxId: r.sandbox_id,
    agentId: r.agent_id,
    packages: storedPackages(r.packages),
    createdAt: iso(Number(r.created_at)),
    updatedAt: iso(Number(r.updated_at)),
    startedAt: iso(r.started_at === null ? null : Number(r.started_at)),
    finishedAt: iso(r.finished_at === null ? null : Number(r.finished_at)),
    error: r.error,
    usage: {
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      costUsd: Number(r.cost_usd),
    },
    eventsUrl: `${PUBLIC_BASE}/runs/${r.id}/events`,
    cancelUrl: `${PUBLIC_BASE}/runs/${r.id}/cancel`,
    previewUrl: r.preview_url ?? null,
  };
}

export const isTerminal = (status: string) => (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);

/** Hook the run engine installs so a cancel reaches a run that is executing. */
export type CancelHandler = (runId: string) => Promise<boolean>;

export interface RunServiceDeps {
  db: Kysely<DB>;
  dialect: Dialect;
  audit: AuditLog;
  clock: Clock;
  repos: RepoService;
  events: RunEventStore;
  runStartRules: WindowRule[];
  /** The model a run will use (request → team default → MOGPLEX_DEFAULT_MODEL); throws a 400 Failure when it
   * can't run (unknown provider, no credentials). Checked before the team's allowlist. */
  checkModel?: (
    teamId: string,
    requested: string | null,
    teamDefault: string | null,
  ) => Promise<string | null>;
  /** Checks a run's team tools at creation; without it a run naming tools is refused. */
  tools?: Pick<RunTools, "check">;
  /** Checks a run's registry packages at creation; without it a run naming packages is refused. */
  packages?: Pick<RunPackages, "check">;
}

export class RunService {
  private cancelHandler: CancelHandler | undefined;
  private readonly createdListeners: Array<(runId: string) => void> = [];

  private readonly byId;

  constructor(private readonly d: RunServiceDeps) {
    // Every run read and every poll goes through here: compiled once (see db/precompiled.ts).
    this.byId = precompile(
      d.db.selectFrom("runs").selectAll().where("id", "=", ID_SENTINEL).where("team_id", "=", TEAM_SENTINEL),
      [ID_SENTINEL, TEAM_SENTINEL] as const,
    );
  }

  setCancelHandler(h: CancelHandler): void {
    this.cancelHandler = h;
  }

  onCreated(listener: (runId: string) => void): void {
    this.createdListeners.push(listener);
  }

  async create(
    p: TeamMember,
    body: CreateRunRequest,
    rawBody: unknown,
    idempotencyKey: string,
    source: Run["source"],
    ctx: AuditContext,
  ): Promise<{ run: Run; replayed: boolean }> {
    const { db, clock } = this.d;
    const requestHash = sha256Hex(canonicalJson(rawBody));

    // Fast path: a retry of a finished request needs no lock and spends no budget.
    const replay = await this.replay(db, p.userId, p.teamId, idempotencyKey, requestHash);
    if (replay) return replay;

    if (body.harness && !(HARNESSES as readonly string[]).includes(body.harness)) {
      throw failure("BAD_REQUEST", `harness must be one of: ${HARNESSES.join(", ")}`);
    }
    const repo = await this.d.repos.get(p.teamId, body.repoId);
    const team = await db
      .selectFrom("teams")
      .select(["allowed_models", "default_model"])
      .where("id", "=", p.teamId)
      .executeTakeFirstOrThrow();
    const model = body.model ?? team.default_model ?? null;
    const effective = this.d.checkModel
      ? await this.d.checkModel(p.teamId, body.model ?? null, team.default_model)
      : model;
    if (effective && team.allowed_models !== null) {
      const allowed = JSON.parse(team.allowed_models) as string[];
      if (!allowed.includes(effective)) {
        await db.transaction().execute((trx) =>
          this.d.audit.append(trx, ctx, {
            teamId: p.teamId,
            action: "model.denied",
            targetType: "repo",
            targetId: repo.id,
            payload: { model: effective },
          }),
        );
        throw failure("FORBIDDEN", `Model ${effective} is not in this team's model catalogue`);
      }
    }

    const tools = await this.checkTools(p, repo.id, body.tools ?? []);
    const packages = await this.checkPackages(p, body.packages ?? []);

    const result = await db.transaction().execute(async (trx) => {
      await this.lockUser(trx, p.userId);
      // Re-check under the lock: a concurrent twin may have committed first.
      const again = await this.replay(trx, p.userId, p.teamId, idempotencyKey, requestHash);
      if (again) return again;
      const now = clock.now();
      await this.admit(trx, p.userId, now);

      const id = newId();
      const createBranch = body.createBranch ?? true;
      const base = body.baseBranch ?? repo.default_branch;
      const working = body.branch ?? (createBranch ? generatedBranchName(body.prompt, id, now) : base);
      const row: RunsTable = {
        id,
        team_id: p.teamId,
        user_id: p.userId,
        repo_id: repo.id,
        source,
        harness: body.harness ?? "mogplex",
        model,
        status: "pending",
        prompt: body.prompt,
        base_branch: base,
        working_branch: working,
        create_branch: createBranch ? 1 : 0,
        root_directory: body.rootDirectory ?? repo.root_directory,
        sandbox_id: null,
        agent_id: body.agentId ?? null,
        error: null,
        input_tokens: 0,
        output_tokens: 0,
        cost_usd: 0,
        created_at: now,
        updated_at: now,
        started_at: null,
        finished_at: null,
        tools: tools.length > 0 ? JSON.stringify(tools) : null,
        packages: packages.length > 0 ? JSON.stringify(packages) : null,
      };
      await trx.insertInto("runs").values(row).execute();
      await trx
        .insertInto("idempotency_keys")
        .values({
          user_id: p.userId,
          key: idempotencyKey,
          request_hash: requestHash,
          resource_type: "run",
          resource_id: id,
          created_at: now,
        })
        .execute();
      await this.d.audit.append(trx, ctx, {
        teamId: p.teamId,
        action: "run.created",
        targetType: "run",
        targetId: id,
        payload: {
          repoId: repo.id,
          source,
          harness: row.harness,
          model,
          prompt: body.prompt,
          ...(tools.length > 0 ? { tools } : {}),
          ...(packages.length > 0 ? { packages } : {}),
        },
      });
      return { run: toRun(row), replayed: false };
    });
    if (!result.replayed) for (const l of this.createdListeners) l(result.run.id);
    return result;
  }

  /** The run's team tools, each one its starter may call (400 naming the first that is not). */
  private async checkTools(p: TeamMember, repoId: string, tools: readonly string[]): Promise<string[]> {
    if (tools.length === 0) return [];
    if (!this.d.tools) throw failure("BAD_REQUEST", `tools: ${tools[0]}: team tools are not available here`);
    return this.d.tools.check({ runId: null, teamId: p.teamId, userId: p.userId, repoId }, p.role, tools);
  }

  /** The run's registry packages, each one its starter may install (400 naming the first that is not). */
  private async checkPackages(p: TeamMember, packages: readonly string[]): Promise<string[]> {
    if (packages.length === 0) return [];
    if (!this.d.packages)
      throw failure("BAD_REQUEST", `packages: ${packages[0]}: packages are not available here`);
    return this.d.packages.check(p.userId, packages);
  }

  private async replay(
    db: Kysely<DB>,
    userId: string,
    teamId: string,
    key: string,
    requestHash: string,
  ): Promise<{ run: Run; replayed: true } | null> {
    const prior = await db
      .selectFrom("idempotency_keys")
      .selectAll()
      .where("user_id", "=", userId)
      .where("key", "=", key)
      .executeTakeFirst();
    if (!prior) return null;
    const conflict = failure(
      "IDEMPOTENCY_CONFLICT",
      "Idempotency-Key was already used with a different request body",
    );
    if (prior.request_hash !== requestHash || prior.resource_type !== "run") throw conflict;
    const run = await db
      .selectFrom("runs")
      .selectAll()
      .where("id", "=", prior.resource_id)
      .executeTakeFirst();
    if (!run) throw notFound("Run");
    // Keys are per user, but a user's token for another team must not read this team's run back.
    if (run.team_id !== teamId) throw conflict;
    return { run: toRun(run), replayed: true };
  }

  private async lockUser(trx: Kysely<DB>, userId: string): Promise<void> {
    // SQLite transactions here are IMMEDIATE (one writer); PostgreSQL needs an explicit per-user lock.
    if (this.d.dialect === "postgres") {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`run-start:${userId}`}, 0))`.execute(trx);
    }
  }

  /** Per-user run-start budgets, counted from the runs table inside the creating transaction. */
  private async admit(trx: Kysely<DB>, userId: string, now: number): Promise<void> {
    let worstMs = 0;
    for (const rule of this.d.runStartRules) {
      const since = now - rule.windowMs;
      const inWindow = await trx
        .selectFrom("runs")
        .select("created_at")
        .where("user_id", "=", userId)
        .where("created_at", ">", since)
        .orderBy("created_at", "desc")
        .limit(rule.limit)
        .execute();
      if (inWindow.length < rule.limit) continue;
      // The limit-th newest start leaves the window first among those that keep us at the limit.
      const oldestCounted = Number(inWindow[inWindow.length - 1]?.created_at);
      worstMs = Math.max(worstMs, oldestCounted + rule.windowMs - now);
    }
    if (worstMs > 0) {
      const secs = retryAfterSeconds({ allowed: false, remaining: 0, retryAfterMs: worstMs });
      throw failure("RATE_LIMITED", `Run start limit exceeded. Retry after ${secs}s.`, {
        retryAfterSeconds: secs,
      });
    }
  }

  async get(teamId: string, id: string): Promise<RunsTable> {
    const [row] = await this.byId(this.d.db as never, [id, teamId]);
    if (!row) throw notFound("Run");
    return row;
  }

  async list(teamId: string, opts: { repoId?: string; status?: string; limit: number; cursor?: string }) {
    const cursor = decodeCursor(opts.cursor);
    let q = this.d.db.selectFrom("runs").selectAll().where("team_id", "=", teamId);
    if (opts.repoId) q = q.where("repo_id", "=", opts.repoId);
    if (opts.status) q = q.where("status", "=", opts.status);
    if (cursor) q = q.where(olderThan(cursor));
    const rows = await q
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(opts.limit + 1)
      .execute();
    const { page, nextCursor } = pageOf(rows, opts.limit);
    return { runs: page.map(toRun), nextCursor };
  }

  /**
   * Cancel is idempotent. A pending run is cancelled on the spot; a running one is handed to the engine,
   * which confirms with the `cancelled` event once the sandbox is gone.
   */
  async cancel(
    teamId: string,
    id: string,
    ctx: AuditContext,
  ): Promise<{ run: Run; alreadyTerminal: boolean }> {
    const current = await this.get(teamId, id);
    if (isTerminal(current.status)) return { run: toRun(current), alreadyTerminal: true };
    const { db, clock } = this.d;
    let published: RunEvent[] = [];
    let handOff = false;
    const alreadyTerminal = await db.transaction().execute(async (trx) => {
      // Row lock on PostgreSQL so concurrent cancels serialise here and only the first one acts; SQLite's
      // IMMEDIATE transactions already serialise (and have no FOR UPDATE).
      let q = trx.selectFrom("runs").selectAll().where("id", "=", id);
      if (this.d.dialect === "postgres") q = q.forUpdate();
      const row = await q.executeTakeFirstOrThrow();
      if (isTerminal(row.status)) return true;
      const now = clock.now();
      handOff = row.status === "running" && this.cancelHandler !== undefined;
      await this.d.audit.append(trx, ctx, {
        teamId,
        action: "run.cancel_requested",
        targetType: "run",
        targetId: id,
      });
      if (handOff) {
        published = await this.d.events.appendIn(trx, id, [
          { type: "cancel_requested", message: "Cancel requested" },
        ]);
        return false;
      }
      await trx
        .updateTable("runs")
        .set({ status: "cancelled", updated_at: now, finished_at: now })
        .where("id", "=", id)
        .execute();
      published = await this.d.events.appendIn(trx, id, [
        { type: "cancel_requested", message: "Cancel requested" },
        {
          type: "status_changed",
          message: `${row.status} -> cancelled`,
          payload: { from: row.status, to: "cancelled" },
        },
        { type: "cancelled", message: "Run cancelled" },
      ]);
      return false;
    });
    await this.d.events.publish(id, published);
    if (handOff && this.cancelHandler) await this.cancelHandler(id);
    return { run: toRun(await this.get(teamId, id)), alreadyTerminal };
  }
}
