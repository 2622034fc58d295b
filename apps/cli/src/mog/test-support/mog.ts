// Unit-test helpers for mog: a context with captured output and its own config folder, a project folder
// inside a root whose whole tree can be compared, and runMog with the envelope parsed.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createMogContext, type MogCtx } from "../context.js";
import { runMog } from "../main.js";

export {
  listTree,
  MCP_MANIFEST,
  SKILL_FILES,
  SKILL_MANIFEST,
  yazlZip,
} from "../../../../../packages/pkgfmt/src/test-support/fixtures.js";

export interface MogRun {
  code: number;
  stdout: string[];
  stderr: string[];
  /** The last stdout line parsed (the envelope under --json); read loosely, as a script would. */
  // biome-ignore lint/suspicious/noExplicitAny: test assertions walk the envelope's data freely
  envelope: any;
}

export interface Box {
  root: string;
  /** The project (--dir), inside root, so nothing written beside it goes unseen. */
  project: string;
  config: string;
  env: Record<string, string>;
  cleanup(): void;
}

export function box(markers: string[] = [".claude"]): Box {
  const root = mkdtempSync(join(tmpdir(), "mog-test-"));
  const project = join(root, "project");
  mkdirSync(project);
  for (const m of markers) mkdirSync(join(project, m));
  const config = join(root, "config");
  return {
    root,
    project,
    config,
    env: { HOME: root, XDG_CONFIG_HOME: config },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function mogCtx(
  env: Record<string, string>,
  tty: MogCtx["tty"] = null,
): MogCtx & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const ctx = createMogContext({
    env,
    io: {
      out: (l) => stdout.push(l),
      json: (v) => stdout.push(JSON.stringify(v)),
      err: (l) => stderr.push(l),
    },
    stdin: Readable.from([]),
    interactive: false,
    tty,
  });
  return Object.assign(ctx, { stdout, stderr });
}

export async function mog(env: Record<string, string>, ...args: string[]): Promise<MogRun> {
  return mogOn(mogCtx(env), ...args);
}

/** Runs mog on a given context (e.g. one with a terminal). */
export async function mogOn(ctx: ReturnType<typeof mogCtx>, ...args: string[]): Promise<MogRun> {
  const code = await runMog(ctx, ["node", "mog", ...args]);
  ctx.log.close();
  const last = ctx.stdout.at(-1) ?? "{}";
  let envelope: MogRun["envelope"];
  try {
    envelope = JSON.parse(last);
  } catch {
    envelope = { ok: false, command: "?" };
  }
  return { code, stdout: ctx.stdout, stderr: ctx.stderr, envelope };
}
