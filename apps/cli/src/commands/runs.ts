// `mogplex runs list | get <id> | events <id> [--follow] [--timeout s] | cancel <id>`.
import type { Command } from "commander";
import type { Ctx } from "../context.js";

async function load() {
  const [{ connect }, runs] = await Promise.all([import("../actions/api.js"), import("../actions/runs.js")]);
  return { connect, runs };
}

export function registerRunsCommands(program: Command, ctx: Ctx): void {
  const runs = program.command("runs").description("runs of your team");
  runs
    .command("list")
    .description("list runs, newest first (NDJSON with --json)")
    .option("--repo <id>", "only this repo's runs")
    .option("--status <status>", "pending, running, success, failed or cancelled")
    .option("--limit <n>", "page size (1-200)")
    .option("--cursor <cursor>", "continue after a previous page")
    .option("--all", "fetch every page")
    .option("--json", "one JSON object per line")
    .action(async (o) => {
      const { connect, runs: a } = await load();
      await a.runsList(ctx, connect(ctx).api, o);
    });
  runs
    .command("get")
    .argument("<id>")
    .description("show one run")
    .option("--json", "one JSON object")
    .action(async (id: string, o) => {
      const { connect, runs: a } = await load();
      await a.runGet(ctx, connect(ctx).api, id, o);
    });
  runs
    .command("events")
    .argument("<id>")
    .description("a run's events; --follow streams them live and ends with the run's final status")
    .option("--follow", "stream live events (reconnects with Last-Event-ID)")
    .option("--timeout <seconds>", "with --follow: give up after this long (exit 75)")
    .option("--after <seq>", "only events after this sequence number")
    .option("--json", "one JSON object per line")
    .action(async (id: string, o) => {
      const { connect, runs: a } = await load();
      await a.runEvents(ctx, connect(ctx).api, id, o);
    });
  runs
    .command("cancel")
    .argument("<id>")
    .description("cancel a run (idempotent)")
    .option("--json", "one JSON object")
    .action(async (id: string, o) => {
      const { connect, runs: a } = await load();
      await a.runCancel(ctx, connect(ctx).api, id, o);
    });
}
