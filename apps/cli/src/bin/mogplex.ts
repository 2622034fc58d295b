#!/usr/bin/env node
// The `mogplex` binary: parses the command line, runs one command, maps failures to exit codes in one place.
import { Command, CommanderError } from "commander";
import { registerServerCommands, UsageError } from "../commands/server.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const program = new Command("mogplex")
    .description("Mogplex control plane for coding agents")
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerServerCommands(program, out);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      process.stderr.write(`mogplex: ${err.message}\n`);
      return 2;
    }
    const name = (err as Error).constructor?.name;
    if (name === "AdminError" || name === "ConfigError" || name === "MigrationError") {
      process.stderr.write(`mogplex: ${(err as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`mogplex: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mogplex: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
