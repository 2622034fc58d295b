// Tool paths: resolved against the repo root inside the sandbox and refused if they leave the workspace.
import { posix } from "node:path";
import { WORKSPACE } from "../../sandboxes/provider/types.js";

export class PathError extends Error {
  override readonly name = "PathError";
}

/**
 * Lexical check only, on purpose: every file tool runs inside the sandbox, where a symlink planted in the
 * workspace can point at nothing but the sandbox's own read-only system view. This keeps tools honest about
 * where they act and gives the model a clear error instead of a confusing one from the filesystem.
 */
export function resolveInside(root: string, p: string | undefined): string {
  const raw = p === undefined || p === "" ? "." : p;
  if (raw.includes("\0")) throw new PathError("path must not contain NUL bytes");
  if (raw.length > 4096) throw new PathError("path is too long");
  const abs = posix.resolve(root, raw);
  if (abs !== WORKSPACE && !abs.startsWith(`${WORKSPACE}/`)) {
    throw new PathError(
      `path ${JSON.stringify(raw)} is outside the workspace; use paths inside ${WORKSPACE}`,
    );
  }
  return abs;
}

/** The path as the model should see it: relative to the repo root when inside it. */
export function display(root: string, abs: string): string {
  const rel = posix.relative(root, abs);
  return rel === "" ? "." : rel.startsWith("..") ? abs : rel;
}
