// Database outage fixtures: a PostgreSQL schema of our own, reached through a TCP relay the test can cut, and
// pg_terminate_backend for exactly our sessions (found by their application_name). The shared server is never
// stopped: other suites use it at the same time.
import { randomBytes } from "node:crypto";
import { createServer, type Server, Socket } from "node:net";
import pg from "pg";

export const PG_URL = () => process.env.MOGPLEX_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export const uniqName = (prefix: string) => `${prefix}${randomBytes(5).toString("hex")}`;

/** One statement on a short-lived connection of its own (never one the code under test uses). */
export async function adminQuery<T extends Record<string, unknown>>(
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: PG_URL(), application_name: "mogplex-test-admin" });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Ends every session carrying this application_name, as a failover or an idle timeout would. */
export async function terminateSessions(applicationName: string): Promise<number> {
  const rows = await adminQuery<{ pid: number }>(
    "select pg_terminate_backend(pid) as ok, pid from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()",
    [applicationName],
  );
  return rows.length;
}

export async function sessionsOf(
  applicationName: string,
): Promise<Array<{ pid: number; wait: string | null }>> {
  return adminQuery<{ pid: number; wait: string | null }>(
    "select pid, wait_event_type as wait from pg_stat_activity where application_name = $1",
    [applicationName],
  );
}

/**
 * A connection string tagged with `applicationName`: to another database and/or with `schema` first on the
 * search path, optionally through a relay. All of it travels in the URL (as an operator would set it), so a
 * child process gets the same by its DATABASE_URL alone.
 */
export function databaseUrl(o: {
  applicationName: string;
  database?: string;
  schema?: string;
  relay?: Relay;
}): string {
  const url = new URL(PG_URL());
  if (o.database) url.pathname = `/${o.database}`;
  if (o.relay) {
    url.hostname = "127.0.0.1";
    url.port = String(o.relay.port);
  }
  if (o.schema) url.searchParams.set("options", `-c search_path=${o.schema}`);
  url.searchParams.set("application_name", o.applicationName);
  return url.toString();
}

/**
 * Forwards TCP to the PostgreSQL server. `cut()` drops every relayed connection and stops listening (new
 * connections are refused, as when the database host is gone); `stall()` drops them too but accepts new ones
 * and never answers (a host that swallows packets); `restore()` forwards on the same port again.
 */
export class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private stalled = false;
  /** Connections accepted while stalled: reset on restore, as a network coming back would. */
  private readonly held = new Set<Socket>();

  #port = 0;

  private constructor(private readonly target: { host: string; port: number }) {}

  static async start(): Promise<Relay> {
    const pgUrl = new URL(PG_URL());
    const relay = new Relay({ host: pgUrl.hostname || "127.0.0.1", port: Number(pgUrl.port || 5432) });
    relay.#port = await relay.listen(0);
    return relay;
  }

  get port(): number {
    return this.#port;
  }

  private listen(port: number): Promise<number> {
    const server = createServer((client) => {
      if (this.stalled) {
        this.held.add(client);
        client.on("error", () => client.destroy());
        return;
      }
      const upstream = new Socket();
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      upstream.connect(this.target.port, this.target.host, () => {
        client.pipe(upstream);
        upstream.pipe(client);
      });
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        const addr = server.address();
        resolve(typeof addr === "object" && addr ? addr.port : port);
      });
    });
  }

  /** Every relayed connection is reset and new ones are refused. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of [...this.sockets, ...this.held]) s.destroy();
    this.sockets.clear();
    this.held.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Every relayed connection is reset; new ones are accepted and left unanswered. */
  stall(): void {
    this.stalled = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async restore(): Promise<void> {
    this.stalled = false;
    for (const s of this.held) s.destroy();
    this.held.clear();
    if (!this.server) await this.listen(this.port);
  }

  get relayed(): number {
    return this.sockets.size;
  }

  close(): Promise<void> {
    return this.cut();
  }
}

/** Polls `probe` until it returns true; fails with `what` after `ms`. */
export async function until(what: string, probe: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
