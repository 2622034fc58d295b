// The `mogplex` harness's tools. Each one runs inside the sandbox and reports itself as tool_started/finished.
import { type ToolSet, tool } from "ai";
import type { ExecResult, SandboxHandle } from "../../sandboxes/provider/types.js";
import { clip, type RunEmitter } from "../emitter.js";
import type { ChangeTracker } from "./changes.js";
import { display, resolveInside } from "./paths.js";
import { makeStep, ToolFailure } from "./step.js";
import { TOOL_SPECS } from "./tool-specs.js";

export interface ToolEnv {
  sandbox: SandboxHandle;
  /** The repo root inside the sandbox (the workspace, or a sub-directory of it). */
  root: string;
  emit: RunEmitter;
  changes: ChangeTracker;
  signal: AbortSignal;
  /** Upper bound for run_command's timeout. */
  maxCommandMs: number;
  /** Marks the sandbox active (idle timeout). */
  activity: () => void;
}

const READ_MAX = 200_000;
const MODEL_STREAM_MAX = 32_000;
const FILE_OP_MS = 60_000;
export const DEFAULT_COMMAND_MS = 120_000;

function out(r: ExecResult): string {
  return `${r.stdout}${r.stderr ? `\n${r.stderr}` : ""}`.trim();
}

export function buildTools(env: ToolEnv): ToolSet {
  const { sandbox, root } = env;
  const exec = (script: string, args: string[], opts: { stdin?: string; maxOutputBytes?: number } = {}) => {
    env.activity();
    return sandbox
      .exec({ script, args, cwd: root, timeoutMs: FILE_OP_MS, signal: env.signal, ...opts })
      .finally(env.activity);
  };

  const step = makeStep(env);

  async function readWhole(abs: string, max: number): Promise<string> {
    const r = await exec(
      '[ -f "$1" ] || { echo "not a regular file: $1" >&2; exit 2; }; head -c "$2" -- "$1"',
      [abs, String(max + 1)],
      { maxOutputBytes: max + 1 },
    );
    if (r.exitCode !== 0) throw new ToolFailure(out(r) || `cannot read ${display(root, abs)}`);
    return r.stdout;
  }

  async function writeWhole(abs: string, content: string): Promise<void> {
    const r = await exec('mkdir -p -- "$(dirname -- "$1")" && cat > "$1"', [abs], { stdin: content });
    if (r.exitCode !== 0) throw new ToolFailure(out(r) || `cannot write ${display(root, abs)}`);
  }

  return {
    read_file: tool({
      ...TOOL_SPECS.read_file,
      execute: ({ path }) =>
        step("read_file", { path }, async () => {
          const abs = resolveInside(root, path);
          const text = await readWhole(abs, READ_MAX);
          if (text.includes("\0")) return { text: `${display(root, abs)} is a binary file` };
          const cut = text.length > READ_MAX;
          return {
            text: cut ? `${text.slice(0, READ_MAX)}\n…[file truncated at ${READ_MAX} bytes]` : text,
            extra: { bytes: text.length },
          };
        }),
    }),

    write_file: tool({
      ...TOOL_SPECS.write_file,
      execute: ({ path, content }) =>
        step("write_file", { path, bytes: content.length }, async () => {
          const abs = resolveInside(root, path);
          await writeWhole(abs, content);
          return { text: `wrote ${content.length} bytes to ${display(root, abs)}`, mutates: true };
        }),
    }),

    edit_file: tool({
      ...TOOL_SPECS.edit_file,
      execute: ({ path, old, new: replacement }) =>
        step("edit_file", { path, oldBytes: old.length, newBytes: replacement.length }, async () => {
          const abs = resolveInside(root, path);
          const text = await readWhole(abs, 2_000_000);
          const first = text.indexOf(old);
          if (first < 0) throw new ToolFailure(`the text to replace was not found in ${display(root, abs)}`);
          if (text.indexOf(old, first + 1) >= 0) {
            throw new ToolFailure(
              `the text to replace appears more than once in ${display(root, abs)}; add context`,
            );
          }
          await writeWhole(abs, text.slice(0, first) + replacement + text.slice(first + old.length));
          return { text: `edited ${display(root, abs)}`, mutates: true };
        }),
    }),

    list_files: tool({
      ...TOOL_SPECS.list_files,
      execute: ({ path }) =>
        step("list_files", { path: path ?? "." }, async () => {
          const abs = resolveInside(root, path);
          const r = await exec(
            '[ -d "$1" ] || { echo "not a directory: $1" >&2; exit 2; }; ' +
              "rg --files --hidden --glob '!.git' --sort path -- \"$1\" | head -n 1001",
            [abs],
          );
          if (r.exitCode !== 0 && !r.stdout) throw new ToolFailure(out(r) || "cannot list files");
          const lines = r.stdout
            .split("\n")
            .filter(Boolean)
            .map((l) => display(root, l));
          const more = lines.length > 1000;
          return {
            text:
              `${lines.slice(0, 1000).join("\n")}${more ? "\n…[more files not shown]" : ""}` || "(no files)",
          };
        }),
    }),

    search: tool({
      ...TOOL_SPECS.search,
      execute: ({ pattern, path }) =>
        step("search", { pattern, path: path ?? "." }, async () => {
          const abs = resolveInside(root, path);
          const r = await exec(
            "rg --line-number --no-heading --color never --hidden --glob '!.git' --max-columns 300 " +
              '--max-count 50 -e "$1" -- "$2" | head -n 300',
            [pattern, abs],
            { maxOutputBytes: 128 * 1024 },
          );
          if (!r.stdout.trim()) {
            if (r.stderr.trim()) throw new ToolFailure(r.stderr.trim());
            return { text: "no matches" };
          }
          return { text: r.stdout.trimEnd() };
        }),
    }),

    run_command: tool({
      ...TOOL_SPECS.run_command,
      execute: ({ command, timeoutSeconds }) =>
        step("run_command", { command, ...(timeoutSeconds ? { timeoutSeconds } : {}) }, async () => {
          const timeoutMs = Math.min(
            timeoutSeconds ? timeoutSeconds * 1000 : DEFAULT_COMMAND_MS,
            env.maxCommandMs,
          );
          env.activity();
          const r = await sandbox
            .exec({ script: command, cwd: root, timeoutMs, signal: env.signal, maxOutputBytes: 1024 * 1024 })
            .finally(env.activity);
          const parts = [
            r.timedOut
              ? `command timed out after ${Math.round(timeoutMs / 1000)}s and was killed`
              : `exit code: ${r.exitCode ?? r.signal}`,
            `--- stdout ---\n${clip(r.stdout, MODEL_STREAM_MAX)}`,
            `--- stderr ---\n${clip(r.stderr, MODEL_STREAM_MAX)}`,
          ];
          return {
            text: parts.join("\n"),
            exitCode: r.exitCode,
            mutates: true,
            extra: { timedOut: r.timedOut },
          };
        }),
    }),
  };
}
