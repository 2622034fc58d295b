// The terminal agent's six tools (the run engine's definitions, TOOL_SPECS) acting on the working folder:
// file tools on this machine, confined to the folder for reads; writes outside it and commands ask per mode;
// run_command through the CommandRunner (the sandbox unless --no-sandbox).
import { execFile } from "node:child_process";
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { TOOL_SPECS } from "@mogplex/server/agent-kit";
import { type ToolSet, tool } from "ai";
import { unifiedDiff } from "./diff.js";
import { PathRefused, type Paths } from "./paths.js";
import type { CommandRunner } from "./sandbox.js";
import { clip, MODEL_OUTPUT_MAX, type Outcome, runStep, ToolRefused, type TurnContext } from "./step.js";

const READ_MAX = 200_000;
const DEFAULT_COMMAND_MS = 120_000;
const MAX_COMMAND_MS = 10 * 60_000;

/** Files larger than this are not edited or rewritten: the tools would have to hold and diff all of them. */
const EDIT_MAX = 2_000_000;

/** A text file; past `max` characters the rest is cut off with a note (for reading), or refused (`whole`). */
function readText(path: string, max: number, whole = false): string {
  const st = statSync(path);
  if (!st.isFile()) throw new PathRefused(`not a regular file: ${path}`);
  if (whole && st.size > max) {
    throw new PathRefused(
      `${path} is too large to edit (${st.size} bytes, at most ${max}); change it with a command`,
    );
  }
  const buf = readFileSync(path);
  if (buf.subarray(0, 8000).includes(0)) throw new PathRefused(`${path} is a binary file`);
  const text = buf.toString("utf8");
  return text.length > max ? `${text.slice(0, max)}\n…[file truncated at ${max} bytes]` : text;
}

function rg(args: string[], cwd: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("rg", args, { cwd, signal, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (code === "ENOENT")
        return reject(new Error("ripgrep (rg) is not installed on this machine; install it"));
      if (err && !stdout && stderr.trim()) return reject(new Error(stderr.trim()));
      resolve(stdout);
    });
  });
}

function walk(dir: string, root: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (out.length > 1000) return;
    if (e.name === ".git" || e.name === "node_modules") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, root, out);
    else out.push(relative(root, p));
  }
}

export function buildLocalTools(o: {
  paths: Paths;
  runner: CommandRunner;
  turn: () => TurnContext;
}): ToolSet {
  const { paths, runner, turn } = o;

  async function write(
    t: TurnContext,
    path: string,
    next: (before: string | null) => string,
    /** An edit is made from the old text, so it needs all of it (a rewrite only shows it in the diff). */
    edit = false,
  ): Promise<Outcome> {
    const l = paths.locate(path);
    let before: string | null = null;
    try {
      before = readText(l.real, EDIT_MAX, edit);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const after = next(before);
    const diff = unifiedDiff(l.shown, before, after);
    // Git's own folder holds hooks and config that run on this machine at the next git command: like a write
    // outside the folder, it asks in every mode but full-auto.
    const gitInternals = /(^|\/)\.git(\/|$)/.test(l.shown);
    const asks = !l.inside || gitInternals ? t.mode !== "full-auto" : t.mode === "ask";
    if (asks && !(await t.approve({ kind: "write", path: l.shown, outsideWorkingTree: !l.inside, diff }))) {
      throw new ToolRefused(`writing ${l.shown}: ${t.refusalNote}`);
    }
    mkdirSync(dirname(l.real), { recursive: true });
    // O_NOFOLLOW: a link a command planted there since the path was checked is refused, never written through.
    const fd = openSync(
      l.real,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      writeFileSync(fd, after);
    } finally {
      closeSync(fd);
    }
    return {
      text: `wrote ${after.length} bytes to ${l.shown}`,
      summary: `${before === null ? "created" : "wrote"} ${l.shown}`,
      diff,
    };
  }

  return {
    read_file: tool({
      ...TOOL_SPECS.read_file,
      execute: ({ path }, { toolCallId }) =>
        runStep(turn, "read_file", toolCallId, { path }, async () => {
          const l = paths.readable(path);
          const text = readText(l.real, READ_MAX);
          return { text, summary: `read ${l.shown}` };
        }),
    }),
    write_file: tool({
      ...TOOL_SPECS.write_file,
      execute: ({ path, content }, { toolCallId }) =>
        runStep(turn, "write_file", toolCallId, { path, bytes: content.length }, (t) =>
          write(t, path, () => content),
        ),
    }),
    edit_file: tool({
      ...TOOL_SPECS.edit_file,
      execute: ({ path, old, new: replacement }, { toolCallId }) =>
        runStep(turn, "edit_file", toolCallId, { path }, (t) =>
          write(
            t,
            path,
            (before) => {
              if (before === null) throw new PathRefused(`${path} does not exist`);
              const first = before.indexOf(old);
              if (first < 0) throw new PathRefused(`the text to replace was not found in ${path}`);
              if (before.indexOf(old, first + 1) >= 0) {
                throw new PathRefused(`the text to replace appears more than once in ${path}; add context`);
              }
              return before.slice(0, first) + replacement + before.slice(first + old.length);
            },
            true,
          ),
        ),
    }),
    list_files: tool({
      ...TOOL_SPECS.list_files,
      execute: ({ path }, { toolCallId }) =>
        runStep(turn, "list_files", toolCallId, { path: path ?? "." }, async (t) => {
          const l = paths.readable(path);
          let files: string[];
          try {
            const out = await rg(
              ["--files", "--hidden", "--glob", "!.git", "--sort", "path", "--", l.real],
              paths.realCwd,
              t.signal,
            );
            files = out
              .split("\n")
              .filter(Boolean)
              .map((f) => relative(paths.realCwd, f.startsWith("/") ? f : join(paths.realCwd, f)));
          } catch {
            files = [];
            walk(l.real, paths.realCwd, files);
          }
          const more = files.length > 1000;
          const text =
            `${files.slice(0, 1000).join("\n")}${more ? "\n…[more files not shown]" : ""}` || "(no files)";
          return { text, summary: `${Math.min(files.length, 1000)}${more ? "+" : ""} files in ${l.shown}` };
        }),
    }),
    search: tool({
      ...TOOL_SPECS.search,
      execute: ({ pattern, path }, { toolCallId }) =>
        runStep(turn, "search", toolCallId, { pattern, path: path ?? "." }, async (t) => {
          const l = paths.readable(path);
          const out = await rg(
            [
              "--line-number",
              "--no-heading",
              "--color",
              "never",
              "--hidden",
              "--glob",
              "!.git",
              "--max-columns",
              "300",
              "--max-count",
              "50",
              "-e",
              pattern,
              "--",
              relative(paths.realCwd, l.real) || ".",
            ],
            paths.realCwd,
            t.signal,
          );
          const lines = out.split("\n").filter(Boolean).slice(0, 300);
          return { text: lines.join("\n") || "no matches", summary: `${lines.length} matches` };
        }),
    }),
    run_command: tool({
      ...TOOL_SPECS.run_command,
      description: `Run a shell command (bash) in the working folder ${runner.sandboxed ? `inside a sandbox (${runner.network ? "network allowed" : "no network"})` : "on the user's machine"}. Returns the exit code, stdout and stderr.`,
      execute: ({ command, timeoutSeconds }, { toolCallId }) =>
        runStep(turn, "run_command", toolCallId, { command }, async (t) => {
          const request = {
            kind: "command" as const,
            command,
            sandboxed: runner.sandboxed,
            network: runner.network,
          };
          if (t.mode !== "full-auto" && !(await t.approve(request)))
            throw new ToolRefused(`the command: ${t.refusalNote}`);
          const timeoutMs = Math.min(
            timeoutSeconds ? timeoutSeconds * 1000 : DEFAULT_COMMAND_MS,
            MAX_COMMAND_MS,
          );
          const r = await runner.run(command, { timeoutMs, signal: t.signal });
          if (t.signal.aborted) throw t.signal.reason;
          const status = r.timedOut
            ? `timed out after ${Math.round(timeoutMs / 1000)}s and was killed`
            : `exit code: ${r.exitCode ?? r.signal}`;
          const text = [
            status,
            `--- stdout ---\n${clip(r.stdout, MODEL_OUTPUT_MAX)}`,
            `--- stderr ---\n${clip(r.stderr, MODEL_OUTPUT_MAX)}`,
          ].join("\n");
          return { text, summary: r.timedOut ? "timed out" : `exit ${r.exitCode ?? r.signal}` };
        }),
    }),
  };
}
