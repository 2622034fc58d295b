// Which argv starts the interactive session (bare `mogplex`, or only flags), and that session's flags. Kept
// apart from start.ts so the binary decides without loading the agent or Ink.
import { Command, Option } from "commander";
import type { Ctx } from "../context.js";
import { APPROVAL_MODES } from "./config.js";

/** No arguments, or flags first (not help/version): `mogplex`, `mogplex --model openai/gpt-4.1 --network`. */
export function isSessionStart(args: string[]): boolean {
  const first = args[0];
  if (first === undefined) return true;
  return first.startsWith("-") && !["-h", "--help", "-V", "--version"].includes(first);
}

export const SESSION_HELP = `
Interactive session (bare \`mogplex\` on a terminal):
  --model <provider/model>   the model (default: your team's, or the provider's usual one)
  --approval <mode>          ask (default, or "approval" in $MOGPLEX_HOME/config.json),
                             auto-edit or full-auto
  --no-sandbox               run commands on this machine instead of in a bubblewrap sandbox
  --network                  allow commands network access`;

export function sessionCommand(ctx: Ctx): Command {
  return new Command("mogplex")
    .option("--model <provider/model>", "the model")
    .addOption(new Option("--approval <mode>", "what runs without asking").choices(APPROVAL_MODES))
    .option("--no-sandbox", "run commands on this machine instead of in a bubblewrap sandbox")
    .option("--network", "allow commands network access")
    .exitOverride()
    .action(async (flags: { model?: string; approval?: string; sandbox: boolean; network?: boolean }) => {
      const { startInteractive } = await import("./start.js");
      const code = await startInteractive(ctx, flags);
      if (code !== 0) process.exitCode = code;
    });
}
