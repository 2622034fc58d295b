// Opens the database: embedded SQLite (WAL, busy timeout, IMMEDIATE transactions) or PostgreSQL.
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  SqliteDialect,
  SqliteDriver,
} from "kysely";
import pg from "pg";
import type { DB } from "./schema.js";
import { DatabaseUnavailableError, isConnectionFailure } from "./unavailable.js";

export type Dialect = "sqlite" | "postgres";

export interface Database_ {
  db: Kysely<DB>;
  dialect: Dialect;
  /** The raw better-sqlite3 handle (SQLite only): backups and Better Auth share it. */
  sqlite: Database.Database | undefined;
  pool: pg.Pool | undefined;
  close(): Promise<void>;
}
export type { Database_ as Db };

// Deferred transactions that read then write can deadlock between processes (the admin CLI and the
// server share the file); IMMEDIATE takes the write lock up front so busy_timeout can do its job.
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly cfg: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(cfg);
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.cfg);
  }
}

/**
 * better-sqlite3 handle whose prepared statements are reused per SQL text: Kysely prepares on every query,
 * and preparing cost more than running the hot-path lookups. Bounded so ad-hoc SQL can't grow it forever.
 */
function withStatementCache(db: Database.Database, max = 512) {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string): Database.Statement {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql);
        if (cache.size >= max) {
          const oldest = cache.keys().next();
          if (!oldest.done) cache.delete(oldest.value);
        }
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

// int8 (bigint) columns hold epoch milliseconds, well inside the safe integer range.
pg.types.setTypeParser(20, (v) => Number(v));
// numeric (cost) as a JS number
pg.types.setTypeParser(1700, (v) => Number(v));

export interface ConnectOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** PostgreSQL schema to use (tests give each suite its own). */
  pgSchema?: string | undefined;
  poolSize?: number;
  /**
   * Told when a PostgreSQL session fails outside any query (ended by the server while idle in the pool).
   * Failures during a query reach that query's caller instead, as a DatabaseUnavailableError.
   */
  onConnectionError?: (err: Error) => void;
}

/** Longest a query waits for a new PostgreSQL connection before failing as unavailable. */
export const PG_CONNECT_TIMEOUT_MS = 5_000;

/**
 * The pool as Kysely sees it. A session the server ended (pg_terminate_backend, failover, a proxy restart,
 * an idle timeout) or one that could not be opened fails its query as DatabaseUnavailableError, and that
 * client is destroyed on release rather than handed out again; pg.Pool opens fresh ones on demand.
 */
function guardedPool(pool: pg.Pool): PostgresPool {
  const guarded = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let broken = false;
    const query = async (text: string, params: ReadonlyArray<unknown>) => {
      try {
        return await client.query(text, [...params]);
      } catch (err) {
        if (!isConnectionFailure(err)) throw err;
        broken = true;
        throw new DatabaseUnavailableError(err);
      }
    };
    return {
      // No cursor is configured, so Kysely only ever calls the (sql, parameters) form.
      query: query as unknown as PostgresPoolClient["query"],
      release() {
        const destroy = broken;
        broken = false;
        client.release(destroy);
      },
    };
  };
  return {
    async connect() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw isConnectionFailure(err) ? new DatabaseUnavailableError(err) : err;
      }
      let g = guarded.get(client);
      if (!g) {
        g = wrap(client);
        guarded.set(client, g);
      }
      return g;
    },
    end: () => pool.end(),
  };
}

export function openSqliteFile(file: string): Database.Database {
  // Created owner-only up front: SQLite gives the -wal and -shm files the same mode.
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("synchronous = NORMAL");
  return sqlite;
}

export function connect(opts: ConnectOptions): Database_ {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      // How operators (and tests) find our sessions in pg_stat_activity; an application_name in the URL wins.
      application_name: "mogplex",
      connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
      // A peer that vanished without closing (host gone, network cut) is noticed instead of waited on forever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(opts.pgSchema ? { options: `-c search_path=${opts.pgSchema}` } : {}),
    });
    // Without these, a session ended by the server is an unhandled 'error' event and the process exits. The
    // pool has already dropped an idle client that failed; a checked-out one fails its current or next query.
    const report = opts.onConnectionError ?? (() => undefined);
    pool.on("error", (err) => report(err));
    pool.on("connect", (client) => client.on("error", () => undefined));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: guardedPool(pool) }) });
    return {
      db,
      dialect: "postgres",
      sqlite: undefined,
      pool,
      close: () => db.destroy(),
    };
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const sqlite = openSqliteFile(join(opts.dataDir, "mogplex.db"));
  const db = new Kysely<DB>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }),
  });
  return {
    db,
    dialect: "sqlite",
    sqlite,
    pool: undefined,
    close: () => db.destroy(),
  };
}
