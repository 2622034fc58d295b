// `mogplex sandboxes list | stop <id>`.
import type { Command } from "commander";
import type { Ctx } from "../context.js";

async function load() {
  const [{ connect }, a] = await Promise.all([
    import("../actions/api.js"),
    import("../actions/sandboxes.js"),
  ]);
  return { connect, a };
}

export function registerSandboxesCommands(program: Command, ctx: Ctx): void {
  const sandboxes = program.command("sandboxes").description("sandboxes of your team");
  sandboxes
    .command("list")
    .description("list sandboxes (NDJSON with --json)")
    .option("--repo <id>", "only this repo's sandboxes")
    .option("--status <status>", "creating, installing, running, stopped or error")
    .option("--limit <n>", "page size (1-200)")
    .option("--cursor <cursor>", "continue after a previous page")
    .option("--all", "fetch every page")
    .option("--json", "one JSON object per line")
    .action(async (o) => {
      const { connect, a } = await load();
      await a.sandboxesList(ctx, connect(ctx).api, o);
    });
  sandboxes
    .command("stop")
    .argument("<id>")
    .description("stop a sandbox")
    .option("--json", "one JSON object")
    .action(async (id: string, o) => {
      const { connect, a } = await load();
      await a.sandboxStop(ctx, connect(ctx).api, id, o);
    });
}
