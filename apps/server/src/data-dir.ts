// The server's data directory (SQLite database, secrets.json, sandbox workspaces) is for its owner alone:
// created 0700, and tightened to 0700 at start when it already exists with looser permissions.
import { chmodSync, existsSync, mkdirSync, statSync } from "node:fs";

/**
 * Makes sure `dir` is an owner-only directory; returns the mode it had when that was looser. With PostgreSQL
 * (`create: false`) nothing lives there until a sandbox needs it, so a missing one is left missing.
 */
export function ownerOnlyDataDir(dir: string, o: { create?: boolean } = {}): { loosened: string | null } {
  if (o.create === false && !existsSync(dir)) return { loosened: null };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (!st.isDirectory()) throw new Error(`data directory ${dir} is not a directory`);
  const mode = st.mode & 0o777;
  if ((mode & 0o077) === 0) return { loosened: null };
  try {
    chmodSync(dir, mode & 0o700);
  } catch (err) {
    throw new Error(
      `data directory ${dir} is readable by others (mode ${mode.toString(8)}) and could not be tightened to 700: ${(err as Error).message}`,
    );
  }
  return { loosened: mode.toString(8).padStart(4, "0") };
}
