// `mogplex runs list | get <id> | events <id> [--follow] | cancel <id>`.
import type { Run, RunEvent } from "@mogplex/contract";
import type { Ctx } from "../context.js";
import { RunNotSuccessfulError, UsageError } from "../errors.js";
import type { Api } from "./api.js";
import { type FollowDeps, followRun, realSleep } from "./follow.js";
import { ago, columns, firstLine, type ListOptions, parseLimit, printPages } from "./output.js";

/** Repo id → full name for the lines people read; ids stand in if the names can't be fetched. */
async function repoNames(api: Api): Promise<Map<string, string>> {
  try {
    const { repos } = await api.listRepos({ limit: 200 });
    return new Map(repos.map((r) => [r.id, r.fullName]));
  } catch {
    return new Map();
  }
}

/** The model a run uses: recorded when it starts; before that, the one asked for or the defaults. */
export function modelText(r: Run): string {
  if (r.model) return r.model;
  return r.status === "pending" ? "(default, resolved at start)" : "(none)";
}

export async function runsList(
  ctx: Ctx,
  api: Api,
  o: ListOptions & { repo?: string; status?: string },
): Promise<void> {
  const limit = parseLimit(o.limit);
  const names = o.json ? new Map<string, string>() : await repoNames(api);
  const now = Date.now();
  await printPages<Run>(
    ctx,
    o,
    async (cursor) => {
      const page = await api.listRuns({ limit, cursor, repoId: o.repo, status: o.status });
      return { items: page.runs, nextCursor: page.nextCursor };
    },
    (r) =>
      columns(
        r.id,
        r.status.padEnd(9),
        names.get(r.repoId) ?? r.repoId,
        modelText(r),
        ago(r.createdAt, now).padStart(7),
        firstLine(r.prompt),
      ),
    "no runs",
  );
}

export function describeRun(r: Run, repoName?: string): string[] {
  const rows: Array<[string, string | null]> = [
    ["id", r.id],
    ["status", r.status],
    ["repo", repoName ? `${repoName} (${r.repoId})` : r.repoId],
    ["source", r.source],
    ["harness", r.harness],
    ["model", modelText(r)],
    ["branch", `${r.branch.base} → ${r.branch.working ?? "-"}`],
    ["root", r.rootDirectory || "."],
    // An older server leaves packages out.
    ["packages", r.packages?.length ? r.packages.join(", ") : null],
    ["sandbox", r.sandboxId],
    ["created", r.createdAt],
    ["started", r.startedAt],
    ["finished", r.finishedAt],
    ["error", r.error],
    ["usage", `${r.usage.inputTokens} in / ${r.usage.outputTokens} out, $${r.usage.costUsd.toFixed(4)}`],
  ];
  const prompt = r.prompt.replace(/\s+$/, "").split(/\r?\n/);
  return [
    ...rows.map(([k, v]) => `${k.padEnd(9)}${v ?? "-"}`),
    "prompt",
    ...prompt.map((l) => (l ? `  ${l}` : "")),
  ];
}

export async function runGet(ctx: Ctx, api: Api, id: string, o: { json?: boolean }): Promise<void> {
  const { run } = await api.getRun(id);
  if (o.json) return ctx.io.json(run);
  const repo = await api.getRepo(run.repoId).catch(() => null);
  for (const line of describeRun(run, repo?.repo.fullName)) ctx.io.out(line);
}

export function eventLine(e: RunEvent): string {
  const time = e.createdAt.slice(11, 19);
  const tool = e.toolName ? ` ${e.toolName}` : "";
  const message = e.message ? `: ${e.message}` : "";
  return `#${e.seq} ${time} ${e.type}${tool}${message}`;
}

export interface EventsOptions {
  follow?: boolean;
  timeout?: string;
  after?: string;
  json?: boolean;
}

function parseSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) <= 0)
    throw new UsageError("--timeout must be a number of seconds");
  return Number(raw);
}

export async function runEvents(
  ctx: Ctx,
  api: Api,
  id: string,
  o: EventsOptions,
  deps: FollowDeps = { sleep: realSleep },
): Promise<void> {
  if (o.after !== undefined && !/^\d{1,12}$/.test(o.after))
    throw new UsageError("--after must be an event number");
  const after = o.after === undefined ? undefined : Number(o.after);
  const timeoutS = parseSeconds(o.timeout);
  if (timeoutS !== undefined && !o.follow) throw new UsageError("--timeout only applies with --follow");
  const print = (e: RunEvent) => {
    if (o.json) ctx.io.json(e);
    else ctx.io.out(eventLine(e));
  };
  if (!o.follow) {
    let cursor = after;
    for (;;) {
      const page = await api.listRunEvents(id, { after: cursor, limit: 200 });
      for (const e of page.events) {
        ctx.log.debug("events.page", { runId: id, chunk: e });
        print(e);
      }
      if (!page.nextCursor) return;
      cursor = Number(page.nextCursor);
    }
  }
  const run = await followRun(ctx, api, id, { after, timeoutS, onEvent: print }, deps);
  ctx.log.write("follow.end", { runId: run.id, status: run.status });
  if (o.json) ctx.io.json({ run });
  else ctx.io.out(`run ${run.id} ${run.status}${run.error ? `: ${run.error}` : ""}`);
  // A script waiting on a run learns from the exit code whether it worked: failed and cancelled are exit 1.
  if (run.status !== "success") throw new RunNotSuccessfulError(run.id, run.status);
}

export async function runCancel(ctx: Ctx, api: Api, id: string, o: { json?: boolean }): Promise<void> {
  const { run, alreadyTerminal } = await api.cancelRun(id);
  ctx.log.write("run.cancel", { runId: run.id, status: run.status, alreadyTerminal });
  if (o.json) ctx.io.json({ run, alreadyTerminal });
  else if (alreadyTerminal) ctx.io.out(`run ${run.id} was already ${run.status}`);
  else if (run.status === "cancelled") ctx.io.out(`cancelled run ${run.id}`);
  else ctx.io.out(`cancel requested for run ${run.id} (${run.status})`);
}
