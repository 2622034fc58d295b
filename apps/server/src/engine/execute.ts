// One run from start to end: model, sandbox, clone, install, agent loop, commit and push, terminal state.
import { existsSync, lstatSync } from "node:fs";
import { join } from "node:path";
import type { EngineConfig } from "../config/engine.js";
import type { RunsTable } from "../db/schema.js";
import type { Logger } from "../logger.js";
import { installForRun, packagesPrompt } from "../run-packages/install.js";
import type { SandboxHandle, SandboxProvider } from "../sandboxes/provider/types.js";
import { redactKnownSecrets, sanitizeEventText } from "../sanitize/index.js";
import type { Services } from "../services.js";
import { clip, RunEmitter } from "./emitter.js";
import { cloneForRun, commitAndPush, commitMessage } from "./git.js";
import { runAgent, SYSTEM_PROMPT } from "./harness/agent.js";
import { ChangeTracker } from "./harness/changes.js";
import { buildTeamTools, TEAM_TOOLS_PROMPT } from "./harness/team-tools.js";
import { buildTools } from "./harness/tools.js";
import { costUsd, priceOf, resolveModel, serverModelSecrets } from "./models.js";
import { startPreview } from "./preview.js";
import type { ProviderKeyStore } from "./provider-keys.js";
import { watchSandbox } from "./session.js";
import { resolveSetup, SetupError } from "./setup.js";
import type { EngineStore, Outcome, Usage } from "./store.js";
import { openTeamTools } from "./team-tools.js";

export type AbortReason =
  | "cancel"
  | "stopped"
  | "idle_timeout"
  | "lifetime_timeout"
  | "run_timeout"
  | "lease_lost"
  | "shutdown";

export class RunAborted extends Error {
  override readonly name = "RunAborted";
  constructor(readonly reason: AbortReason) {
    super(`run aborted: ${reason}`);
  }
}

/** The live handle on an executing run: what cancel, stop and the lease watchdog act on. */
export class RunExecution {
  readonly controller = new AbortController();
  reason: AbortReason | null = null;
  sandboxId: string | null = null;
  handle: SandboxHandle | null = null;
  done: Promise<void> = Promise.resolve();
  /** Resolves once the sandbox's processes are gone after an abort. */
  killed: Promise<void> = Promise.resolve();

  constructor(readonly run: RunsTable) {}

  abort(reason: AbortReason): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller.abort(new RunAborted(reason));
    if (this.handle) this.killed = this.handle.kill();
  }

  check(): void {
    if (this.reason) throw new RunAborted(this.reason);
  }
}

export interface ExecDeps {
  /** Only what a run touches of the container. */
  s: Pick<Services, "events" | "db" | "keyring" | "sandboxes" | "gateway" | "registry">;
  store: EngineStore;
  provider: SandboxProvider;
  keys: ProviderKeyStore;
  config: EngineConfig;
  logger: Logger;
  /** Host directory holding every sandbox of this worker (under the data directory, never the host /tmp). */
  sandboxRoot: string;
}

type Stage = "setup" | "agent" | "publish";

const ABORT_OUTCOMES: Record<Exclude<AbortReason, "lease_lost">, (c: EngineConfig) => Outcome> = {
  cancel: () => ({
    status: "cancelled",
    error: null,
    message: "Run cancelled",
    sandbox: { status: "stopped", stopReason: "manual" },
  }),
  // The sandbox service records the stop itself (status, reason, audit row).
  stopped: () => ({
    status: "failed",
    error: "sandbox_stopped: the run's sandbox was stopped through the API",
    message: "The run's sandbox was stopped",
    payload: { reason: "sandbox_stopped" },
  }),
  idle_timeout: (c) => ({
    status: "failed",
    error: `sandbox_idle_timeout: the sandbox was idle for ${Math.round(c.sandbox.idleMs / 1000)}s`,
    message: "Sandbox idle timeout",
    payload: { reason: "idle_timeout" },
    sandbox: { status: "stopped", stopReason: "idle_timeout" },
  }),
  lifetime_timeout: (c) => ({
    status: "failed",
    error: `sandbox_lifetime_timeout: the sandbox reached its ${Math.round(c.sandbox.lifetimeMs / 1000)}s lifetime`,
    message: "Sandbox lifetime timeout",
    payload: { reason: "lifetime_timeout" },
    sandbox: { status: "stopped", stopReason: "lifetime_timeout" },
  }),
  run_timeout: (c) => ({
    status: "failed",
    error: `run_timeout: the run passed its ${Math.round(c.agent.runTimeoutMs / 1000)}s time limit`,
    message: "Run timed out",
    payload: { reason: "run_timeout" },
    sandbox: { status: "stopped" },
  }),
  shutdown: () => ({
    status: "failed",
    error: "worker_stopped: the worker shut down while this run was executing",
    message: "Worker shut down",
    payload: { reason: "worker_stopped" },
    sandbox: { status: "stopped" },
  }),
};

function failure(err: unknown, stage: Stage, secrets: readonly string[], diskMb: number): Outcome {
  const raw = err instanceof Error ? err.message : String(err);
  // A full sandbox disk surfaces as whatever tool hit it first (git, an installer): say which limit it was.
  const full = /No space left on device/.test(raw)
    ? ` (the sandbox's disk cap of ${diskMb} MB, MOGPLEX_SANDBOX_DISK_MB, is used up)`
    : "";
  const message = sanitizeEventText(raw + full, { knownSecrets: secrets });
  const kind =
    err instanceof Error
      ? ({
          ModelSetupError: "model_setup",
          SandboxUnavailableError: "sandbox_unavailable",
          SetupError: "setup_failed",
          PackageInstallError: "package_failed",
          GitError: "git",
        }[err.name] ?? (stage === "agent" ? "model_error" : "internal"))
      : "internal";
  return {
    status: "failed",
    error: message,
    message,
    payload: { reason: kind, stage },
    sandbox: stage === "setup" ? { status: "error", error: message } : { status: "stopped" },
  };
}

export async function executeRun(x: RunExecution, d: ExecDeps): Promise<void> {
  const { run } = x;
  const { s, config } = d;
  const emit = new RunEmitter(s.events, run.id, d.logger);
  emit.addSecrets(serverModelSecrets(config));
  const usage: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  let stage: Stage = "setup";
  let outcome: Outcome;
  let stopWatching = () => {};
  let stopPreview = async () => {};
  const runTimer = setTimeout(() => x.abort("run_timeout"), config.agent.runTimeoutMs);
  try {
    const team = await d.store.teamForRun(run.team_id);
    // Credentials first: a run that can never call its model fails before any sandbox work.
    const model = await resolveModel({
      runModel: run.model,
      teamDefault: team.default_model,
      teamSlug: team.slug,
      config,
      teamKey: (p) => d.keys.get(run.team_id, p),
    });
    emit.addSecrets(model.secrets);
    await d.store.recordModel(run.id, model.id);
    const status = await d.provider.check();
    if (!status.ok) throw new SetupError(`Sandbox unavailable: ${status.reason}`);
    const repo = await d.store.repoForRun(run.repo_id);
    const setup = await resolveSetup(s.db.db, s.keyring, config, repo, run.root_directory);
    emit.addSecrets(setup.secrets);
    // The team tools the run may call, opened host-side before any sandbox exists; their credentials stay here.
    const teamTools = await openTeamTools(s, run);
    emit.addSecrets(teamTools?.secrets ?? []);
    x.check();

    const working = run.working_branch ?? run.base_branch;
    const record = await s.sandboxes.create({
      teamId: run.team_id,
      repoId: run.repo_id,
      runId: run.id,
      baseBranch: run.base_branch,
      workingBranch: working,
      rootDirectory: run.root_directory,
    });
    x.sandboxId = record.id;
    await d.store.attachSandbox(run.id, record.id);
    await emit.log(`Sandbox ${record.id} creating`, { sandboxId: record.id, model: model.id });
    const handle = await d.provider.create({
      id: record.id,
      root: join(d.sandboxRoot, record.id),
      env: setup.env,
      limits: config.sandbox.limits,
      egressHosts: setup.egressHosts,
    });
    x.handle = handle;
    if (x.reason) x.killed = handle.kill();
    x.check();

    const watched = watchSandbox(
      handle,
      config.sandbox,
      (why) => x.abort(why),
      () => {
        d.store.touchSandbox(record.id).catch(() => undefined);
      },
    );
    stopWatching = watched.stop;
    const { sandbox, activity } = watched;

    const host = { path: config.hostPath, signal: x.controller.signal };
    const baseSha = await cloneForRun({
      ...host,
      source: repo.source_url,
      dest: handle.workspace,
      stage: join(d.sandboxRoot, record.id, "host", "checkout"),
      base: run.base_branch,
      working,
      createBranch: Boolean(run.create_branch),
    });
    const rootHost = join(handle.workspace, run.root_directory);
    if (run.root_directory && !(existsSync(rootHost) && lstatSync(rootHost).isDirectory())) {
      throw new SetupError(
        `Root directory "${run.root_directory}" does not exist in the repo at ${working}.`,
      );
    }
    await emit.log(
      `Cloned ${repo.full_name} at ${run.base_branch} (${baseSha.slice(0, 12)}), working on ${working}`,
      {
        base: run.base_branch,
        working,
        commit: baseSha,
      },
    );
    x.check();

    if (repo.install_command) {
      await d.store.sandboxStatus(record.id, "installing");
      await emit.log(`Installing: ${repo.install_command}`, { command: repo.install_command });
      const r = await sandbox.exec({
        script: repo.install_command,
        cwd: setup.rootInside,
        timeoutMs: config.sandbox.installTimeoutMs,
        signal: x.controller.signal,
      });
      x.check();
      const output = clip(`${r.stdout}${r.stderr ? `\n${r.stderr}` : ""}`.trim());
      await emit.log(`Install finished (exit ${r.exitCode ?? r.signal})`, {
        exitCode: r.exitCode,
        durationMs: r.durationMs,
        output,
      });
      if (r.exitCode !== 0) {
        throw new SetupError(
          r.timedOut
            ? `install command timed out after ${Math.round(config.sandbox.installTimeoutMs / 1000)}s`
            : `install command failed (exit ${r.exitCode ?? r.signal}): ${clip(r.stderr.trim() || r.stdout.trim(), 400)}`,
        );
      }
    }
    const packages = await installForRun({ db: s.db.db, registry: s.registry }, run, {
      ...{ sandbox, outDir: handle.outDir, rootInside: setup.rootInside, signal: x.controller.signal },
      emit: (e) => emit.emit(e),
    });
    await d.store.sandboxStatus(record.id, "running");
    const preview = await startPreview({
      ...{ sandbox, sandboxId: record.id, teamId: run.team_id, repo, cwd: setup.rootInside, emit },
      ...{ sandboxes: s.sandboxes, activity, signal: x.controller.signal },
    });
    if (preview) stopPreview = preview.stop;

    stage = "agent";
    const tools = buildTools({
      sandbox,
      root: setup.rootInside,
      emit,
      changes: new ChangeTracker(sandbox),
      signal: x.controller.signal,
      maxCommandMs: config.sandbox.commandTimeoutMs,
      activity,
    });
    if (teamTools) {
      const extra = buildTeamTools(teamTools, {
        emit,
        signal: x.controller.signal,
        activity,
        maxCalls: config.agent.maxSteps * 4,
      });
      Object.assign(tools, extra);
      await emit.log(`Team tools: ${Object.keys(extra).join(", ")}`, { tools: Object.keys(extra) });
    }
    const basePrompt = teamTools ? `${SYSTEM_PROMPT}\n${TEAM_TOOLS_PROMPT}` : SYSTEM_PROMPT;
    const system = `${basePrompt}${packagesPrompt(packages)}`;
    const priced = priceOf(model.id) !== null;
    const result = await runAgent({
      model: model.model,
      modelName: model.id,
      system,
      prompt: run.prompt,
      tools,
      maxSteps: config.agent.maxSteps,
      stepTimeoutMs: config.agent.stepTimeoutMs,
      signal: x.controller.signal,
      onModelCall: async (c) => {
        activity();
        usage.inputTokens += c.inputTokens;
        usage.outputTokens += c.outputTokens;
        usage.costUsd += costUsd(model.id, c.inputTokens, c.outputTokens);
        await emit.emit({
          type: "model_call",
          message: `${c.model}: ${c.inputTokens} in / ${c.outputTokens} out in ${c.latencyMs} ms`,
          payload: { ...c, priced },
        });
        await d.store.setUsage(run.id, usage);
      },
    });
    x.check();
    if (result.hitStepLimit) await emit.log(`Stopped at the step limit (${config.agent.maxSteps} steps)`);

    stage = "publish";
    const outDir = handle.outDir;
    const message = redactKnownSecrets(
      commitMessage(run.prompt, result.text, run.id, model.id),
      emit.secrets,
    );
    const fin = await commitAndPush({
      sandbox,
      hostDir: join(d.sandboxRoot, record.id, "host"),
      outDir,
      source: repo.source_url,
      branch: working,
      baseSha,
      message,
      signal: x.controller.signal,
      host,
    });
    if (fin.changed) {
      await emit.emit({
        type: "commit",
        message: message.split("\n")[0] ?? "",
        payload: { sha: fin.sha, branch: working, message },
      });
    } else await emit.log("No changes to commit");
    outcome = {
      status: "success",
      error: null,
      message: "Run finished",
      payload: { branch: working, commit: fin.changed ? fin.sha : null, steps: result.steps },
      sandbox: { status: "stopped" },
    };
  } catch (err) {
    if (x.reason === "lease_lost") outcome = ABORT_OUTCOMES.shutdown(config);
    else if (x.reason) outcome = ABORT_OUTCOMES[x.reason](config);
    else outcome = failure(err, stage, emit.secrets, config.sandbox.limits.diskMb);
    if (!x.reason) d.logger.warn({ runId: run.id, stage, error: outcome.error }, "run failed");
  } finally {
    clearTimeout(runTimer);
    stopWatching();
  }
  await stopPreview().catch(() => undefined);
  // The sandbox's processes and files go before the run reads as ended, so a terminal run has nothing left.
  await x.handle
    ?.destroy()
    .catch((err: Error) =>
      d.logger.warn({ runId: run.id, err: { message: err.message } }, "sandbox cleanup failed"),
    );
  await emit.flush();
  if (x.reason === "lease_lost") return; // another worker owns the run's end now
  const ended = await d.store.finish(run.id, outcome, usage, x.sandboxId);
  // The run was ended by someone else meanwhile (e.g. recovered as lost): its sandbox record still ends here.
  if (!ended && x.sandboxId && outcome.sandbox) await d.store.endSandboxIfLive(x.sandboxId, outcome.sandbox);
}
