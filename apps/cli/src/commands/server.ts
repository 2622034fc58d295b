// `mogplex serve`, `worker` and `admin …`: thin flag parsing over the server package, loaded only when used.
import type { Command } from "commander";

export class UsageError extends Error {}

async function server() {
  return import("@mogplex/server");
}

type ServerModule = Awaited<ReturnType<typeof server>>;
/** The options object an admin function of the server package takes (types only: nothing is loaded). */
type ArgsOf<F extends (env: never, o: never, a: never) => unknown> = Parameters<F>[2];

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const { promptHidden } = await import("../prompt.js");
    const a = await promptHidden("Password: ");
    const b = await promptHidden("Repeat password: ");
    if (a !== b) throw new UsageError("passwords do not match");
    return a;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (!text) throw new UsageError("no password on standard input");
  return text;
}

async function readSecret(prompt: string): Promise<string> {
  if (process.stdin.isTTY) {
    const { promptHidden } = await import("../prompt.js");
    return promptHidden(prompt);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}

interface Common {
  dataDir?: string;
}

const overrides = (o: Common) => (o.dataDir ? { dataDir: o.dataDir } : {});

export function registerServerCommands(program: Command, out: (line: string) => void): void {
  program
    .command("serve")
    .description("run the Mogplex server (API, web, workers)")
    .option("--host <host>", "interface to bind", undefined)
    .option("--port <port>", "port to listen on")
    .option("--data-dir <dir>", "data directory (embedded SQLite, secrets)")
    .action(async (o: { host?: string; port?: string; dataDir?: string }) => {
      const { startServer } = await server();
      let port: number | undefined;
      if (o.port !== undefined) {
        if (!/^\d{1,5}$/.test(o.port) || Number(o.port) > 65535)
          throw new UsageError("--port must be 0-65535");
        port = Number(o.port);
      }
      const running = await startServer(process.env, {
        ...overrides(o),
        ...(o.host ? { host: o.host } : {}),
        ...(port !== undefined ? { port } : {}),
      });
      await new Promise<void>((resolve) => {
        const onSignal = () => {
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
          out("shutting down");
          running.stop().then(resolve, resolve);
        };
        process.on("SIGTERM", onSignal);
        process.on("SIGINT", onSignal);
      });
    });

  program
    .command("worker")
    .description("run executor only, for scale-out: claims runs from the shared database and executes them")
    .option("--data-dir <dir>", "data directory (embedded SQLite, secrets, sandbox workspaces)")
    .option("--concurrency <n>", "runs executed at once (default: MOGPLEX_WORKER_CONCURRENCY, at least 1)")
    .action(async (o: Common & { concurrency?: string }) => {
      let concurrency: number | undefined;
      if (o.concurrency !== undefined) {
        if (!/^\d{1,3}$/.test(o.concurrency) || Number(o.concurrency) < 1)
          throw new UsageError("--concurrency must be 1-999");
        concurrency = Number(o.concurrency);
      }
      const { startWorker } = await server();
      const running = await startWorker(process.env, {
        ...overrides(o),
        ...(concurrency !== undefined ? { concurrency } : {}),
      });
      await new Promise<void>((resolve) => {
        const onSignal = () => {
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
          out("shutting down");
          running.stop().then(resolve, resolve);
        };
        process.on("SIGTERM", onSignal);
        process.on("SIGINT", onSignal);
      });
    });

  const admin = program.command("admin").description("operator tasks against the configured database");
  const withDataDir = (c: Command) => c.option("--data-dir <dir>", "data directory (embedded SQLite)");

  withDataDir(admin.command("create-user"))
    .requiredOption("--email <email>")
    .option("--name <name>")
    .option("--team <slug>", "team slug (created if missing)", "default")
    .option("--role <role>", "owner|admin|member|viewer", "owner")
    .description("create a user; the password is read from standard input (prompted on a terminal)")
    .action(async (o: Common & { email: string; name?: string; team?: string; role?: string }) => {
      const { admin: a } = await server();
      const password = await readPassword();
      out(await a.createUser(process.env, overrides(o), { ...o, password }));
    });

  withDataDir(admin.command("create-token"))
    .requiredOption("--email <email>")
    .requiredOption("--name <name>")
    .option("--scopes <list>", "comma-separated: read,write")
    .option("--expires-in-days <n>")
    .option("--team <slug>")
    .option("--ip-allowlist <list>", "comma-separated addresses / CIDR ranges the token may be used from")
    .description("create a personal access token and print only the token")
    .action(async (o: Common & ArgsOf<ServerModule["admin"]["createToken"]>) => {
      const { admin: a } = await server();
      out(await a.createToken(process.env, overrides(o), o));
    });

  withDataDir(admin.command("add-repo"))
    .requiredOption("--team <slug>")
    .requiredOption("--name <owner/name>")
    .requiredOption("--path <path-or-url>", "local git repo, bare repo or clone URL")
    .option("--default-branch <branch>", "default branch", "main")
    .option("--root <dir>", "root directory inside the repo")
    .option("--install-command <cmd>", 'run in the sandbox after cloning (e.g. "npm ci")')
    .option("--dev-command <cmd>", "the repo's dev server, started for previews")
    .option("--port <n>", "the port the dev command listens on (1024-65535)")
    .option("--env-source <source>", "connection:<name>: a connection whose env values the sandbox gets")
    .description("register a repo with a team; prints its id")
    .action(
      async (
        o: Common &
          Omit<ArgsOf<ServerModule["admin"]["updateRepo"]>, "repo"> & {
            team: string;
            name: string;
            path: string;
            defaultBranch?: string;
            root?: string;
          },
      ) => {
        const { admin: a } = await server();
        out(await a.addRepo(process.env, overrides(o), { ...o, rootDirectory: o.root }));
      },
    );

  withDataDir(admin.command("update-repo"))
    .requiredOption("--repo <id>")
    .option("--install-command <cmd>", 'run in the sandbox after cloning ("" clears it)')
    .option("--dev-command <cmd>", 'the repo\'s dev server ("" clears it)')
    .option("--port <n>", 'the dev command\'s port, 1024-65535 ("" clears it)')
    .option("--env-source <source>", 'connection:<name> ("" clears it)')
    .description("change a repo's install command, dev command, port or environment source")
    .action(async (o: Common & ArgsOf<ServerModule["admin"]["updateRepo"]>) => {
      const { admin: a } = await server();
      out(await a.updateRepo(process.env, overrides(o), o));
    });

  const audit = admin.command("audit").description("audit log tools");
  withDataDir(audit.command("verify"))
    .description("walk the audit hash chain and report the first broken row")
    .action(async (o: Common) => {
      const { admin: a } = await server();
      const r = await a.auditVerify(process.env, overrides(o));
      out(r.message);
      if (!r.ok) process.exitCode = 1;
    });

  withDataDir(admin.command("backup"))
    .argument("<file>")
    .description("online backup of the embedded SQLite database")
    .action(async (file: string, o: Common) => {
      const { admin: a } = await server();
      out(await a.backup(process.env, overrides(o), file));
    });

  const collect = (v: string, prev: string[] = []) => [...prev, v];
  withDataDir(admin.command("add-mcp-server"))
    .requiredOption("--team <slug>")
    .requiredOption("--name <name>", "server name: the <name>__ prefix of its tools in the gateway")
    .option("--url <url>", "Streamable HTTP (or SSE) endpoint")
    .option("--command <cmd>", "stdio server command (no shell)")
    .option("--arg <arg>", "argument for --command (repeatable)", collect)
    .option("--header <K=V>", "HTTP header, stored encrypted (repeatable)", collect)
    .option("--env <K=V>", "environment entry for a stdio server, stored encrypted (repeatable)", collect)
    .option(
      "--egress-host <host>",
      "for --command: a host (or *.suffix) its sandbox may reach over HTTPS (repeatable; default: no network)",
      collect,
    )
    .option(
      "--mount <path>",
      "for --command: an absolute host path its sandbox sees read-only, e.g. where the server is installed (repeatable)",
      collect,
    )
    .option("--repo <id>", "scope the server to one repo (default: team-global)")
    .option("--transport <http|sse>", "for --url: force the old SSE transport")
    .option("--timeout-ms <ms>", "per-request timeout for this server")
    .option(
      "--package <vendor/slug@version>",
      "an mcp package from this server's registry: verified, unpacked read-only, run with its own command",
    )
    .description("register an MCP server with a team; prints its id")
    .action(async (o: Common & ArgsOf<ServerModule["gatewayAdmin"]["addMcpServer"]>) => {
      if ([o.url, o.command, o.package].filter(Boolean).length !== 1)
        throw new UsageError("give exactly one of --url, --command or --package");
      const { gatewayAdmin } = await server();
      out(await gatewayAdmin.addMcpServer(process.env, overrides(o), o));
    });

  withDataDir(admin.command("create-gateway-key"))
    .requiredOption("--email <email>")
    .requiredOption("--name <name>")
    .option("--servers <list>", "comma-separated server names, or all (default: all team-global servers)")
    .option("--tools <list>", "comma-separated <server>__<tool> allowlist")
    .option("--team <slug>")
    .option("--expires-in-days <n>")
    .option("--rate-limit-rps <n>")
    .option("--ip-allowlist <list>", "comma-separated addresses / CIDR ranges the key may be used from")
    .description("create an MCP gateway key and print only the key")
    .action(async (o: Common & ArgsOf<ServerModule["gatewayAdmin"]["createGatewayKey"]>) => {
      const { gatewayAdmin } = await server();
      out(await gatewayAdmin.createGatewayKey(process.env, overrides(o), o));
    });

  withDataDir(admin.command("rotate-encryption-key"))
    .option("--apply", "write the re-sealed values (default: dry run)")
    .description(
      "re-seal stored credentials under MOGPLEX_ENCRYPTION_KEY (old values open with MOGPLEX_ENCRYPTION_KEY_PREVIOUS); " +
        "every value is verified by a round trip",
    )
    .action(async (o: Common & { apply?: boolean }) => {
      const { gatewayAdmin } = await server();
      out(await gatewayAdmin.rotateEncryptionKey(process.env, overrides(o), o));
    });

  withDataDir(admin.command("set-provider-key"))
    .requiredOption("--team <slug>")
    .requiredOption(
      "--provider <name>",
      "anthropic, openai, google, groq, mistral, deepseek, xai, cohere, vercel, …",
    )
    .description("store a team's model-provider key, encrypted; read from standard input (empty removes it)")
    .action(async (o: Common & { team: string; provider: string }) => {
      const { engineAdmin } = await server();
      const key = await readSecret("Key: ");
      out(await engineAdmin.setProviderKey(process.env, overrides(o), { ...o, key }));
    });

  withDataDir(admin.command("set-repo-egress"))
    .requiredOption("--repo <id>")
    .requiredOption("--hosts <list>", "comma-separated host names or *.suffix patterns; empty for no network")
    .description("hosts a repo's sandboxes may reach over HTTPS through the egress proxy (default: none)")
    .action(async (o: Common & { repo: string; hosts: string }) => {
      const { engineAdmin } = await server();
      const hosts = o.hosts
        .split(",")
        .map((h) => h.trim())
        .filter(Boolean);
      out(await engineAdmin.setEgress(process.env, overrides(o), { repo: o.repo, hosts }));
    });

  withDataDir(admin.command("wallet-topup"))
    .requiredOption("--team <id>", "the team's id or slug")
    .requiredOption("--amount-cents <n>", "whole cents, 100 to 1000000")
    .requiredOption("--idempotency-key <key>", "a retry with the same key adds nothing")
    .description(
      "record money received for a team's registry wallet (operator payment provider; no card processor)",
    )
    .action(async (o: Common & ArgsOf<ServerModule["walletAdmin"]["walletTopup"]>) => {
      const { walletAdmin } = await server();
      out(await walletAdmin.walletTopup(process.env, overrides(o), o));
    });

  withDataDir(admin.command("migrate"))
    .description("apply pending database migrations")
    .action(async (o: Common) => {
      const { admin: a } = await server();
      out(await a.migrate(process.env, overrides(o)));
    });
}
