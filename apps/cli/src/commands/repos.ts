// `mogplex repos list`.
import type { Command } from "commander";
import type { Ctx } from "../context.js";

export function registerReposCommands(program: Command, ctx: Ctx): void {
  program
    .command("repos")
    .description("repos of your team")
    .command("list")
    .description("list repos (NDJSON with --json)")
    .option("--q <text>", "only names containing this text")
    .option("--limit <n>", "page size (1-200)")
    .option("--cursor <cursor>", "continue after a previous page")
    .option("--all", "fetch every page")
    .option("--json", "one JSON object per line")
    .action(async (o) => {
      const [{ connect }, { reposList }] = await Promise.all([
        import("../actions/api.js"),
        import("../actions/repos.js"),
      ]);
      await reposList(ctx, connect(ctx).api, o);
    });
}
