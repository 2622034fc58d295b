// What every `mog` command runs with: the CLI's Ctx (env, streams, auth store, session log) rooted in mog's
// own config folder, plus a terminal handle for progress bars and spinners (null when stderr is not a TTY).
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { Env } from "../config/env.js";
import type { Ctx, Io } from "../context.js";
import { AuthStore } from "../credentials/store.js";
import { SessionLog } from "../log/session-log.js";

export interface Tty {
  /** Rewrites the current status line (no newline). */
  status(text: string): void;
  /** Clears the status line. */
  clear(): void;
}

export interface MogCtx extends Ctx {
  tty: Tty | null;
}

/** `$XDG_CONFIG_HOME/mog`, else `~/.config/mog`: credentials (auth.json) and pinned registry keys (0600). */
export function mogConfigDir(env: Env): string {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  // XDG: a relative path is invalid and must be ignored.
  const base = xdg?.startsWith("/") ? xdg : join(env.HOME?.trim() || homedir(), ".config");
  return resolve(base, "mog");
}

export function ttyOf(stream: NodeJS.WriteStream): Tty | null {
  if (!stream.isTTY) return null;
  return {
    status: (text) => stream.write(`\r\x1b[2K${text}`),
    clear: () => stream.write("\r\x1b[2K"),
  };
}

export function createMogContext(o: {
  env: Env;
  io: Io;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  interactive: boolean;
  tty: Tty | null;
}): MogCtx {
  const home = mogConfigDir(o.env);
  return {
    env: o.env,
    home,
    io: o.io,
    log: new SessionLog(home, false),
    store: new AuthStore(home, o.io.err),
    interactive: o.interactive,
    stdin: o.stdin,
    tty: o.tty,
  };
}
