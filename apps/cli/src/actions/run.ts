// `mogplex run --repo <id> "<prompt>"`: starts a run with an Idempotency-Key (random unless given).
import { randomUUID } from "node:crypto";
import { type CreateRunRequest, RUN_PACKAGE_SPEC, RUN_TOOL_NAME } from "@mogplex/contract";
import type { Ctx } from "../context.js";
import { UsageError } from "../errors.js";
import { readAll } from "../input.js";
import type { Api } from "./api.js";

export interface RunOptions {
  repo: string;
  harness?: string;
  model?: string;
  baseBranch?: string;
  branch?: string;
  createBranch?: boolean;
  root?: string;
  /** --tool, repeated. */
  tool?: string[];
  /** --package, repeated. */
  package?: string[];
  idempotencyKey?: string;
  json?: boolean;
}

export async function startRun(ctx: Ctx, api: Api, promptArg: string, o: RunOptions): Promise<void> {
  const prompt = promptArg === "-" ? (await readAll(ctx.stdin)).trim() : promptArg;
  if (prompt.trim() === "") throw new UsageError("the prompt is empty");
  const key = o.idempotencyKey ?? randomUUID();
  if (key.length > 200) throw new UsageError("--idempotency-key must be at most 200 characters");
  const tools = [...new Set(o.tool ?? [])];
  const bad = tools.find((t) => !RUN_TOOL_NAME.test(t));
  if (bad) throw new UsageError(`--tool ${bad}: name a tool as server__tool, server__* or rest:<connection>`);
  const packages = [...new Set(o.package ?? [])];
  const badPkg = packages.find((p) => !RUN_PACKAGE_SPEC.test(p));
  if (badPkg)
    throw new UsageError(`--package ${badPkg}: name a package as vendor/slug@version, with an exact version`);
  const body: CreateRunRequest = {
    repoId: o.repo,
    prompt,
    ...(o.harness ? { harness: o.harness } : {}),
    ...(o.model ? { model: o.model } : {}),
    ...(o.baseBranch ? { baseBranch: o.baseBranch } : {}),
    ...(o.branch ? { branch: o.branch } : {}),
    ...(o.createBranch ? { createBranch: true } : {}),
    ...(o.root !== undefined ? { rootDirectory: o.root } : {}),
    ...(tools.length > 0 ? { tools } : {}),
    ...(packages.length > 0 ? { packages } : {}),
  };
  ctx.log.debug("run.prompt", { prompt });
  const { run, replayed } = await api.createRun(body, key);
  ctx.log.write("run.start", { runId: run.id, status: run.status, replayed, idempotencyKey: key });
  if (o.json) {
    ctx.io.json({ run, replayed, idempotencyKey: key });
    return;
  }
  ctx.io.out(replayed ? `matched existing run ${run.id}` : `started run ${run.id} (${run.status})`);
  ctx.io.out(`tail it: mogplex runs events ${run.id} --follow`);
}
