// How transcript items look: the prompt, the streamed answer, tool calls with their coloured diffs and
// output, answered write approvals, notes, and the header naming the model route and approval mode.
import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import type { ApprovalMode, ModelRoute } from "../agent/types.js";
import type { Item, Tone } from "./transcript.js";

const MAX_DIFF_LINES = 80;
const MAX_OUTPUT_LINES = 12;

export type LineStyle = "added" | "removed" | "hunk" | "file" | "context";

/** A unified diff line's role: what colour it gets. */
export function diffLineStyle(line: string): LineStyle {
  if (line.startsWith("+++") || line.startsWith("---")) return "file";
  if (line.startsWith("+")) return "added";
  if (line.startsWith("-")) return "removed";
  if (line.startsWith("@@")) return "hunk";
  return "context";
}

const DIFF_COLOR: Record<LineStyle, string | undefined> = {
  added: "green",
  removed: "red",
  hunk: "cyan",
  file: undefined,
  context: undefined,
};

/** At most `max` lines, and a line saying how many were left out. */
export function clip(text: string, max: number): string[] {
  const lines = text.replace(/\n$/, "").split("\n");
  if (lines.length <= max) return lines;
  return [...lines.slice(0, max), `… ${lines.length - max} more lines`];
}

/**
 * What of a tool's output is worth showing: a command's stdout (and stderr when there is some), an MCP tool's
 * answer, a failure's message — not file contents the model read, nor what the summary already says.
 */
export function shownOutput(item: Extract<Item, { kind: "tool" }>): string | undefined {
  const out = item.output?.trim();
  if (!out || item.diff || item.diffShown || item.summary?.includes(out)) return undefined;
  if (item.name === "run_command") {
    const m =
      /^(?:exit code: .*|timed out .*)\n--- stdout ---\n([\s\S]*?)\n?--- stderr ---\n?([\s\S]*)$/.exec(out);
    if (!m) return out;
    const stderr = m[2]?.trim();
    return [m[1]?.trimEnd(), stderr ? `stderr:\n${stderr}` : ""].filter(Boolean).join("\n") || undefined;
  }
  return item.state === "failed" || item.name.includes("__") ? out : undefined;
}

export function Diff({ diff }: { diff: string }): ReactElement {
  return h(
    Box,
    { flexDirection: "column", marginLeft: 2 },
    ...clip(diff, MAX_DIFF_LINES).map((line, i) => {
      const style = diffLineStyle(line);
      return h(Text, { key: i, color: DIFF_COLOR[style], dimColor: style === "file" }, line || " ");
    }),
  );
}

const TONE_COLOR: Record<Tone, string | undefined> = {
  info: undefined,
  error: "red",
  warn: "yellow",
  dim: undefined,
};

const TOOL_MARK = { running: "…", ok: "✓", failed: "✗" } as const;
const TOOL_COLOR = { running: "yellow", ok: "green", failed: "red" } as const;

export function ItemView({ item }: { item: Item }): ReactElement {
  switch (item.kind) {
    case "user":
      return h(
        Box,
        { marginTop: 1 },
        h(Text, { color: "blue", bold: true }, "› "),
        h(Text, { bold: true }, item.text),
      );
    case "assistant":
      return h(Box, { marginTop: 1 }, h(Text, null, item.text));
    case "note":
      return h(Text, { color: TONE_COLOR[item.tone], dimColor: item.tone === "dim" }, item.text);
    case "answer":
      return h(
        Box,
        { flexDirection: "column", marginTop: 1 },
        h(
          Text,
          null,
          h(Text, { color: item.allowed ? "green" : "red" }, item.allowed ? "Allowed" : "Refused"),
          `: write ${item.path}${item.outsideWorkingTree ? " (outside the working tree)" : ""}`,
        ),
        item.diff ? h(Diff, { diff: item.diff }) : null,
      );
    case "tool": {
      const head = h(
        Text,
        null,
        h(Text, { color: TOOL_COLOR[item.state] }, `${TOOL_MARK[item.state]} `),
        h(Text, { bold: true }, item.name),
        item.detail ? ` ${item.detail}` : "",
        item.summary ? h(Text, { dimColor: true }, ` — ${item.summary}`) : "",
      );
      const shown = shownOutput(item);
      const output = shown ? h(Text, { dimColor: true }, clip(shown, MAX_OUTPUT_LINES).join("\n")) : null;
      return h(
        Box,
        { flexDirection: "column", marginTop: 1 },
        head,
        item.diff ? h(Diff, { diff: item.diff }) : null,
        item.diffShown ? h(Text, { dimColor: true }, "  (diff shown above)") : null,
        output ? h(Box, { marginLeft: 2 }, output) : null,
      );
    }
  }
}

export interface HeaderInfo {
  route: ModelRoute;
  mode: ApprovalMode;
  sandbox: boolean;
  network: boolean;
  cwd: string;
}

export function Header({ info }: { info: HeaderInfo }): ReactElement {
  const { route, mode } = info;
  return h(
    Box,
    { flexDirection: "column", borderStyle: "round", borderColor: "gray", paddingX: 1 },
    h(
      Text,
      null,
      h(Text, { bold: true }, "mogplex "),
      h(Text, { color: "cyan" }, route.model),
      ` · approval: ${mode}`,
      ` · sandbox: ${info.sandbox ? "on" : "off"}`,
      // Without the sandbox nothing fences the network.
      ` · network: ${!info.sandbox ? "unrestricted" : info.network ? "on" : "off"}`,
    ),
    h(Text, { dimColor: true }, `via ${route.credential}`),
    h(Text, { dimColor: true }, `in ${info.cwd} · /help for commands, Ctrl-C cancels, twice exits`),
  );
}
