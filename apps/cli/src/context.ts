// What every command runs with: environment, streams, MOGPLEX_HOME, the auth store and the session log.
// Built once by the binary; tests build their own with captured output.
import { type Env, isDebug, mogplexHome } from "./config/env.js";
import { AuthStore } from "./credentials/store.js";
import { SessionLog } from "./log/session-log.js";

export interface Io {
  /** A line on stdout. */
  out(line: string): void;
  /** One JSON value as a line on stdout (one object, or one NDJSON record). */
  json(value: unknown): void;
  /** A line on stderr: progress, hints, warnings. */
  err(line: string): void;
}

export interface Ctx {
  env: Env;
  home: string;
  io: Io;
  log: SessionLog;
  store: AuthStore;
  /** Both stdin and stdout are terminals: prompts and the chooser are allowed. */
  interactive: boolean;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export function streamIo(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Io {
  return {
    out: (line) => stdout.write(`${line}\n`),
    json: (value) => stdout.write(`${JSON.stringify(value)}\n`),
    err: (line) => stderr.write(`${line}\n`),
  };
}

export function createContext(o: {
  env: Env;
  io: Io;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  interactive: boolean;
}): Ctx {
  const home = mogplexHome(o.env);
  return {
    env: o.env,
    home,
    io: o.io,
    log: new SessionLog(home, isDebug(o.env)),
    store: new AuthStore(home, o.io.err),
    interactive: o.interactive,
    stdin: o.stdin,
  };
}
