// Whether argv asks for headless `mogplex -p`: a -p/--prompt flag with only flags before it (no subcommand).
// Kept apart from headless.ts so the binary decides without loading the agent.

export function isHeadless(args: string[]): boolean {
  const first = args[0];
  if (first === undefined || !first.startsWith("-") || first === "--help" || first === "-h") return false;
  return args.some((a) => a === "-p" || a === "--prompt" || a.startsWith("--prompt="));
}
