// The commands that talk to the registry server: auth, search, update, vendor create, publish.
import type { Command, Option } from "commander";
import type { MogCtx } from "./context.js";
import type { Act } from "./main.js";

export function registerOnlineCommands(
  program: Command,
  ctx: MogCtx,
  act: Act,
  jsonOption: () => Option,
): void {
  program
    .command("auth")
    .description("sign in to the registry server (device flow) and store the token")
    .option("--status", "show the server, token, scopes and pinned key in use")
    .option("--logout", "forget the stored token")
    .option("--repin", "pin the server's current registry key (after the operator rotated it)")
    .option("--with-token", "read a token (mog_…) from standard input instead of the device flow")
    .addOption(jsonOption())
    .action(
      act("auth", async (o: import("./auth.js").AuthOptions) => {
        const { authCommand } = await import("./auth.js");
        return authCommand(ctx, o);
      }),
    );

  program
    .command("search [query]")
    .description("search the registry's listings")
    .option("--type <type>", "skill, rule, mcp, bundle or template")
    .option("--limit <n>", "listings per page")
    .option("--cursor <cursor>", "the next page (from a previous search)")
    .addOption(jsonOption())
    .action(
      act("search", async (q: string | undefined, o: { type?: string; limit?: string; cursor?: string }) => {
        const { searchCommand } = await import("./publish.js");
        return searchCommand(ctx, q, o);
      }),
    );

  program
    .command("update [name]")
    .description("update registry installs (all, or vendor/slug) to their latest published version")
    .option("--dir <dir>", "project root", ".")
    .addOption(jsonOption())
    .action(
      act("update", async (name: string | undefined, o: { dir?: string }) => {
        const { updateCommand } = await import("./remote-install.js");
        return updateCommand(ctx, name, o);
      }),
    );

  const vendor = program.command("vendor").description("your team's vendor profile");
  vendor
    .command("create <slug> <name>")
    .description("create your team's vendor (slug: 2-32 lowercase letters, digits, hyphens; immutable)")
    .addOption(jsonOption())
    .action(
      act("vendor create", async (slug: string, name: string) => {
        const { vendorCreateCommand } = await import("./publish.js");
        return vendorCreateCommand(ctx, slug, name);
      }),
    );

  program
    .command("publish <path>")
    .description("pack a package folder (or take a .zip), upload it and wait for the scan")
    .option("--visibility <v>", "public (default) or team")
    .option("--price-cents <n>", "the listing's price in cents (first publish; 0 = free)")
    .option("--timeout <seconds>", "how long to wait for the scan", "600")
    .addOption(jsonOption())
    .action(
      act("publish", async (path: string, o: import("./publish.js").PublishOptions) => {
        const { publishCommand } = await import("./publish.js");
        return publishCommand(ctx, path, o);
      }),
    );
}
