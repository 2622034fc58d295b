// Headless `mogplex -p "PROMPT"`: one turn to completion without a TTY. The answer goes to stdout (NDJSON
// AgentEvents with --json), notes to stderr. Approval by mode: auto-edit (default) refuses commands and writes
// outside the folder to the model instead of waiting for a person; full-auto allows everything.
import { Command, Option } from "commander";
import type { Ctx } from "../context.js";
import { EXIT, UsageError } from "../errors.js";
import { readAll } from "../input.js";
import { createAgentSession } from "./session.js";
import type { AgentEvent, ApprovalMode } from "./types.js";

export const HEADLESS_REFUSAL = "not approved in headless auto-edit mode; rerun with --approval full-auto";

interface Flags {
  prompt: string;
  model?: string;
  approval: ApprovalMode;
  json?: boolean;
  sandbox: boolean;
  network?: boolean;
}

export function headlessCommand(ctx: Ctx): Command {
  return new Command("mogplex")
    .requiredOption("-p, --prompt <prompt>", 'the prompt ("-" reads it from standard input)')
    .option("--model <provider/model>", "the model (default: your team's, or the provider's usual one)")
    .addOption(
      new Option("--approval <mode>", "what runs without asking")
        .choices(["auto-edit", "full-auto"])
        .default("auto-edit"),
    )
    .option("--json", "print the turn's events as NDJSON")
    .option("--no-sandbox", "run commands on this machine instead of in a bubblewrap sandbox")
    .option("--network", "allow commands network access")
    .exitOverride()
    .action((f: Flags) => runHeadless(ctx, f));
}

export async function runHeadless(ctx: Ctx, f: Flags): Promise<void> {
  const prompt = (f.prompt === "-" ? await readAll(ctx.stdin) : f.prompt).trim();
  if (!prompt) throw new UsageError("the prompt is empty");
  if (!f.sandbox) ctx.io.err("mogplex: --no-sandbox: commands run on this machine, not in a sandbox");
  const session = await createAgentSession(ctx, {
    model: f.model,
    mode: f.approval,
    sandbox: f.sandbox,
    network: Boolean(f.network),
    cwd: process.cwd(),
  });
  const ac = new AbortController();
  const onSignal = () => ac.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (!f.json) ctx.io.err(`mogplex: ${session.route.model} via ${session.route.credential}`);
    for (const s of await session.mcp()) if (s.error) ctx.io.err(`mogplex: ${s.error}`);
    const onEvent = (e: AgentEvent) => {
      if (f.json) ctx.io.json(e);
    };
    const r = await session.turn(prompt, {
      signal: ac.signal,
      approve: async () => false,
      onEvent,
      refusalNote: HEADLESS_REFUSAL,
    });
    if (!f.json) ctx.io.out(r.text);
    if (r.reason === "step_limit") ctx.io.err("mogplex: the turn stopped at the step limit before finishing");
    if (r.reason === "cancelled") process.exitCode = EXIT.error;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await session.close();
  }
}
