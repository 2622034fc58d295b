// The harness's six tools as the model sees them (names, descriptions, input schemas), shared by the run
// engine (tools.ts, in a server sandbox) and the terminal agent (apps/cli agent/, in the user's folder).
import { z } from "zod";

export const TOOL_SPECS = {
  read_file: {
    description: "Read a text file from the repository. Paths are relative to the repository root.",
    inputSchema: z.object({ path: z.string().describe("file path relative to the repository root") }),
  },
  write_file: {
    description: "Create or overwrite a file with the given content (parent directories are created).",
    inputSchema: z.object({ path: z.string(), content: z.string().max(2_000_000) }),
  },
  edit_file: {
    description:
      "Replace one exact occurrence of `old` with `new` in a file. `old` must appear exactly once; " +
      "include surrounding lines to make it unique.",
    inputSchema: z.object({ path: z.string(), old: z.string().min(1), new: z.string() }),
  },
  list_files: {
    description:
      "List files under a directory (recursive, honours .gitignore). Defaults to the repository root.",
    inputSchema: z.object({ path: z.string().optional() }),
  },
  search: {
    description: "Search file contents with a regular expression (ripgrep). Returns path:line:text matches.",
    inputSchema: z.object({ pattern: z.string().min(1).max(1000), path: z.string().optional() }),
  },
  run_command: {
    description:
      "Run a shell command (bash) in the repository root inside the sandbox. No network. " +
      "Returns the exit code, stdout and stderr.",
    inputSchema: z.object({
      command: z.string().min(1).max(100_000),
      timeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(24 * 3600)
        .optional(),
    }),
  },
} as const;

export type ToolName = keyof typeof TOOL_SPECS;
