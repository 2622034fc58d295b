// The `mog` program: registers every command, runs it through runCommand (envelope + exit code) and turns
// commander's parse failures into exit 1 (with an envelope under --json).
import { Command, CommanderError, Option } from "commander";
import { VERSION } from "../version.js";
import type { MogCtx } from "./context.js";
import { MOG_EXIT, MogError } from "./errors.js";
import { initCommand, installFileCommand, listCommand, uninstallCommand } from "./local-commands.js";
import { envelopeError, type Outcome, runCommand } from "./run.js";

const ENVIRONMENT_HELP = `
Environment:
  MOG_API_URL      the registry server's base URL (e.g. http://127.0.0.1:4100; default:
                   your stored login's server, else http://127.0.0.1:4100)
  MOG_TOKEN        a token (mog_…) to use instead of the stored login
  XDG_CONFIG_HOME  credentials and pinned registry keys live in $XDG_CONFIG_HOME/mog
                   (default ~/.config/mog)`;

const collect = (value: string, previous: string[] = []) => [...previous, value];
const isFileSpec = (spec: string) => /^(\.{1,2}\/|\/)/.test(spec) || spec.endsWith(".zip");

export async function runMog(ctx: MogCtx, argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  let code: number = MOG_EXIT.ok;
  // The command named on the line (for a parse failure's envelope); the action sets it again when it runs.
  const words = argv.slice(2).filter((a) => !a.startsWith("-"));
  let current = words[0] === "vendor" && words[1] ? `vendor ${words[1]}` : (words[0] ?? "mog");
  const act =
    (name: string, fn: (...args: never[]) => Outcome | Promise<Outcome>) =>
    async (...args: unknown[]) => {
      current = name;
      code = await runCommand(ctx, name, json, async () => fn(...(args as never[])));
    };

  const program = new Command("mog")
    .description("Install and publish agent packages (skills, rules, MCP servers) from a Mogplex registry.")
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .addHelpText("after", ENVIRONMENT_HELP);
  program.configureOutput({ writeErr: (s) => (json ? undefined : ctx.io.err(s.replace(/\n$/, ""))) });
  const jsonOption = () => new Option("--json", "print one JSON envelope {ok, command, data|error}");

  program
    .command("init [dir]")
    .description("scaffold a package (mog.yaml, README.md) in dir (default: the current folder)")
    .option("--name <vendor/slug>", "package name")
    .option("--type <type>", "skill, rule, mcp, bundle or template", "skill")
    .option("--description <text>", "one-line description")
    .addOption(jsonOption())
    .action(
      act("init", (dir: string | undefined, o: { name?: string; type?: string; description?: string }) =>
        initCommand(dir, o),
      ),
    );

  program
    .command("install <package>")
    .description("install vendor/slug[@version] from the registry, or a local ./archive.zip")
    .option(
      "--target <target>",
      "claude-code, cursor, codex, gemini-cli, windsurf or generic (default: detected)",
    )
    .option(
      "--dir <dir>",
      "project root: where agent folders are looked for and mog.lock.json is written",
      ".",
    )
    .option("--env <NAME=value>", "a value for an MCP package's declared variable (repeatable)", collect)
    .option("--sha256 <hex>", "for a local archive: its expected SHA-256")
    .addOption(jsonOption())
    .action(
      act("install", async (spec: string, o: Parameters<typeof installFileCommand>[2]) => {
        if (isFileSpec(spec)) return installFileCommand(ctx, spec, o);
        const { installRegistryCommand } = await import("./remote-install.js");
        return installRegistryCommand(ctx, spec, o);
      }),
    );

  program
    .command("uninstall <name>")
    .description("remove an installed package (vendor/slug) and its lockfile entry")
    .option("--dir <dir>", "project root", ".")
    .addOption(jsonOption())
    .action(act("uninstall", (name: string, o: { dir?: string }) => uninstallCommand(name, o)));

  program
    .command("list")
    .description("list the packages mog.lock.json records")
    .option("--dir <dir>", "project root", ".")
    .addOption(jsonOption())
    .action(act("list", (o: { dir?: string }) => listCommand(o)));

  const { registerOnlineCommands } = await import("./online-commands.js");
  registerOnlineCommands(program, ctx, act, jsonOption);

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return MOG_EXIT.ok;
      if (json) envelopeError(ctx, current, true, new MogError("USAGE", err.message.replace(/^error: /, "")));
      return MOG_EXIT.error;
    }
    return envelopeError(ctx, current, json, err);
  }
  return code;
}

export type Act = (
  name: string,
  fn: (...args: never[]) => Outcome | Promise<Outcome>,
) => (...args: unknown[]) => Promise<void>;
