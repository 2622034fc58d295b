#!/usr/bin/env node
// The `mogplex` binary: registers every command (their code loads only when run; the server package only
// for serve/admin), opens the session log for client commands, and turns failures into exit codes via errors.ts.
import { Command, CommanderError } from "commander";
import { HEADLESS_HELP, isHeadless } from "../agent/headless-args.js";
import { registerAuthCommands } from "../commands/auth.js";
import { registerReposCommands } from "../commands/repos.js";
import { registerRunCommand } from "../commands/run.js";
import { registerRunsCommands } from "../commands/runs.js";
import { registerSandboxesCommands } from "../commands/sandboxes.js";
import { isDebug } from "../config/env.js";
import { type Ctx, createContext, streamIo } from "../context.js";
import { ALL_PROVIDERS } from "../credentials/providers.js";
import { EXIT, reportError } from "../errors.js";
import { isSessionStart, SESSION_HELP, sessionCommand } from "../tui/args.js";
import { VERSION } from "../version.js";

const SERVER_COMMANDS = new Set(["serve", "worker", "admin"]);

const ENVIRONMENT_HELP = `
Environment:
  MOGPLEX_URL      the server the client commands talk to (default: your stored
                   login's server, else http://127.0.0.1:4100); \`login --server URL\`
                   signs in to another one
  MOGPLEX_API_KEY  a Mogplex token (mog_…) to use instead of the stored login
  MOGPLEX_HOME     where auth.json and session logs live (default: ~/.mogplex;
                   \`serve\` keeps its data in $MOGPLEX_HOME/server)
  MOGPLEX_DEBUG=1  also log stream chunks and tool outputs (still redacted)
  MOGPLEX_GATEWAY_KEY  a gateway key (pmcp_…) for the agent's HTTP MCP servers at the
                   server's gateway, instead of your Mogplex token (its allowlists apply)

The server's own variables (DATABASE_URL, MOGPLEX_DEFAULT_MODEL, …) are listed in
docs/operations.md.`;

function commandPath(cmd: Command): string[] {
  const path: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) path.unshift(c.name());
  return path;
}

/** Opens the session's log: what ran (flag names, never values), and every env secret registered for scrubbing. */
function startSession(ctx: Ctx, cmd: Command): void {
  for (const p of ALL_PROVIDERS) ctx.log.secret(ctx.env[p.envVar]?.trim());
  const opts = cmd.opts();
  ctx.log.write("session.start", {
    command: commandPath(cmd).join(" ") || "(start)",
    flags: Object.keys(opts).filter((k) => opts[k] !== undefined),
    cli: VERSION,
    node: process.versions.node,
    debug: ctx.log.debugEnabled,
  });
  if (isDebug(ctx.env)) {
    ctx.io.err(
      `mogplex: MOGPLEX_DEBUG=1: ${ctx.log.path} records stream chunks and tool outputs; treat it like source code`,
    );
  }
}

async function main(argv: string[]): Promise<number> {
  const io = streamIo(process.stdout, process.stderr);
  const ctx = createContext({
    env: process.env,
    io,
    stdin: process.stdin,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  });
  const json = argv.slice(2).includes("--json");
  let session = false;

  const program = new Command("mogplex")
    .description("Mogplex control plane for coding agents. Bare `mogplex` signs you in when needed.")
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .addHelpText("after", `${SESSION_HELP}\n${HEADLESS_HELP}\n${ENVIRONMENT_HELP}`);
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.hook("preAction", (_root, action) => {
    if (SERVER_COMMANDS.has(commandPath(action)[0] ?? "")) return;
    session = true;
    startSession(ctx, action);
  });
  registerAuthCommands(program, ctx);
  registerReposCommands(program, ctx);
  registerRunCommand(program, ctx);
  registerRunsCommands(program, ctx);
  registerSandboxesCommands(program, ctx);
  // serve/admin: flag parsing only here; the server package itself loads inside their actions.
  const { registerServerCommands } = await import("../commands/server.js");
  registerServerCommands(program, io.out);

  let code: number;
  try {
    if (isHeadless(argv.slice(2))) {
      // `mogplex -p "PROMPT" …`: the terminal agent, one turn without a TTY (agent/headless.ts).
      const { headlessCommand } = await import("../agent/headless.js");
      const cmd = headlessCommand(ctx);
      cmd.configureOutput({ writeErr: (s) => process.stderr.write(s) });
      cmd.hook("preAction", () => {
        session = true;
        startSession(ctx, cmd);
      });
      await cmd.parseAsync(argv);
    } else if (isSessionStart(argv.slice(2))) {
      // Bare `mogplex [--model …]`: the interactive session (tui/), after the chooser when there are no credentials.
      const cmd = sessionCommand(ctx);
      cmd.configureOutput({ writeErr: (s) => process.stderr.write(s) });
      session = true;
      startSession(ctx, cmd);
      await cmd.parseAsync(argv);
    } else await program.parseAsync(argv);
    code = typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version end with 0; every parse failure (missing --repo, unknown flag, …) is a usage error.
      code = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else {
      const d = reportError(err, { json, write: (s) => process.stderr.write(s) });
      code = d.exitCode;
      if (session) ctx.log.write("error", { errorCode: d.code, status: d.status, message: d.message });
    }
  }
  if (session) {
    ctx.log.write("session.end", { exitCode: code });
    ctx.log.close();
  }
  return code;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mogplex: ${String(err)}\n`);
    process.exitCode = EXIT.error;
  },
);
