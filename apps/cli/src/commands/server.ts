// `mogplex serve` and `mogplex admin …`: thin flag parsing over the server package, loaded only when used.
import type { Command } from "commander";

export class UsageError extends Error {}

async function server() {
  return import("@mogplex/server");
}

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
    .description("create a personal access token and print only the token")
    .action(
      async (
        o: Common & { email: string; name: string; scopes?: string; expiresInDays?: string; team?: string },
      ) => {
        const { admin: a } = await server();
        out(await a.createToken(process.env, overrides(o), o));
      },
    );

  withDataDir(admin.command("add-repo"))
    .requiredOption("--team <slug>")
    .requiredOption("--name <owner/name>")
    .requiredOption("--path <path-or-url>", "local git repo, bare repo or clone URL")
    .option("--default-branch <branch>", "default branch", "main")
    .option("--root <dir>", "root directory inside the repo")
    .description("register a repo with a team; prints its id")
    .action(
      async (
        o: Common & { team: string; name: string; path: string; defaultBranch?: string; root?: string },
      ) => {
        const { admin: a } = await server();
        out(await a.addRepo(process.env, overrides(o), { ...o, rootDirectory: o.root }));
      },
    );

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

  withDataDir(admin.command("migrate"))
    .description("apply pending database migrations")
    .action(async (o: Common) => {
      const { admin: a } = await server();
      out(await a.migrate(process.env, overrides(o)));
    });
}
