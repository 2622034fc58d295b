// `mogplex run --repo <id> "<prompt>"`.
import type { Command } from "commander";
import type { Ctx } from "../context.js";

export function registerRunCommand(program: Command, ctx: Ctx): void {
  program
    .command("run")
    .description("start a run; a repeated --idempotency-key matches the existing run instead")
    .argument("<prompt>", 'what the agent should do ("-" reads it from standard input)')
    .requiredOption("--repo <id>", "repo id (see `mogplex repos list`)")
    .option("--harness <name>", "agent harness (default: mogplex)")
    .option("--model <provider/model>", "model from your team's catalogue")
    .option("--base-branch <branch>", "branch to start from (default: the repo's default branch)")
    .option("--branch <branch>", "working branch name (default: generated)")
    .option("--create-branch", "create the working branch")
    .option("--root <dir>", "root directory inside the repo")
    .option(
      "--tool <name>",
      "a team tool the run may call: server__tool, server__* or rest:<connection> (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      "--package <vendor/slug@version>",
      "a registry package to install into the run's workspace before the agent starts (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option("--idempotency-key <key>", "reuse to retry safely (default: a random UUID)")
    .option("--json", "one JSON object")
    .action(async (prompt: string, o) => {
      const [{ connect }, { startRun }] = await Promise.all([
        import("../actions/api.js"),
        import("../actions/run.js"),
      ]);
      await startRun(ctx, connect(ctx).api, prompt, o);
    });
}
