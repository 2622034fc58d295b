// Whether argv asks for headless `mogplex -p`: a -p/--prompt flag with only flags before it (no subcommand).
// Kept apart from headless.ts so the binary decides without loading the agent.

export function isHeadless(args: string[]): boolean {
  const first = args[0];
  if (first === undefined || !first.startsWith("-") || first === "--help" || first === "-h") return false;
  return args.some((a) => a === "-p" || a === "--prompt" || a.startsWith("--prompt="));
}

export const HEADLESS_HELP = `
Headless (one turn, no terminal needed):
  mogplex -p "PROMPT" [--model P/M] [--approval auto-edit|full-auto] [--json]
          [--no-sandbox] [--network]
                             prints the answer (NDJSON events with --json); -p - reads
                             the prompt from stdin; auto-edit (default) refuses commands
                             and writes outside the folder instead of asking`;
