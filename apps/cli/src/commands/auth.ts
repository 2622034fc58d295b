// `mogplex auth status`, `mogplex login`, `mogplex logout`: flags only; the work is in actions/.
import type { Command } from "commander";
import type { Ctx } from "../context.js";

export function registerAuthCommands(program: Command, ctx: Ctx): void {
  const auth = program.command("auth").description("credentials this CLI uses");
  auth
    .command("status")
    .description("which credential wins (env, auth.json or account login); never prints the secret")
    .option("--json", "one JSON object")
    .action(async (o: { json?: boolean }) => {
      const { authStatus } = await import("../actions/auth.js");
      authStatus(ctx, o);
    });

  program
    .command("login")
    .description("sign in: a chooser on a terminal, or --browser / --device / --with-token")
    .option("--browser", "sign in with Mogplex in a browser (loopback + PKCE)")
    .option("--device", "sign in with a device code (RFC 8628), for SSH and headless machines")
    .option("--with-token", "read a Mogplex token (mog_…) from standard input, for scripts")
    .option("--no-open", "print the browser address instead of launching a browser")
    .option(
      "--server <url>",
      "the Mogplex server to sign in to (default: MOGPLEX_URL, else your stored login's, else http://127.0.0.1:4100)",
    )
    .option("--json", "one JSON object")
    .action(
      async (o: {
        browser?: boolean;
        device?: boolean;
        withToken?: boolean;
        open?: boolean;
        server?: string;
        json?: boolean;
      }) => {
        const { login } = await import("../actions/login.js");
        await login(ctx, o);
      },
    );

  program
    .command("logout")
    .description("remove the stored Mogplex login (or a provider key) from auth.json")
    .option("--provider <id>", "remove a stored provider key instead, e.g. openai")
    .option("--all", "remove every stored credential")
    .option("--json", "one JSON object")
    .action(async (o: { provider?: string; all?: boolean; json?: boolean }) => {
      const { logout } = await import("../actions/auth.js");
      logout(ctx, o);
    });
}
