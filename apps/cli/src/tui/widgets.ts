// The interactive pieces below the transcript: the prompt box, a list to pick from, a masked secret field
// and the approval question. Each one only draws; the App routes keys to whichever is active.
import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import type { ApprovalRequest } from "../agent/types.js";
import type { Editor } from "./line-editor.js";
import { Diff } from "./view.js";

/** The prompt with its cursor (inverse), line breaks from a paste kept. */
export function PromptBox({ editor, busy }: { editor: Editor; busy: boolean }): ReactElement {
  const { text, cursor } = editor;
  const before = text.slice(0, cursor);
  const at = text.slice(cursor, cursor + 1);
  const after = text.slice(cursor + 1);
  const cursorChar = at === "" || at === "\n" ? " " : at;
  return h(
    Box,
    { borderStyle: "round", borderColor: busy ? "gray" : "blue", paddingX: 1 },
    h(Text, { color: "blue", bold: true }, "› "),
    h(
      Text,
      null,
      before,
      h(Text, { inverse: true }, cursorChar),
      at === "\n" ? "\n" : "",
      after,
      text === ""
        ? h(Text, { dimColor: true }, busy ? " working… (Ctrl-C cancels)" : " ask anything, or /help")
        : "",
    ),
  );
}

export interface Choice {
  value: string;
  label: string;
  hint?: string;
  disabled?: boolean;
}

/** How many choices a list shows at once; it scrolls with the selection. */
export const PICKER_ROWS = 10;

export function PickerView(p: { title: string; choices: Choice[]; selected: number }): ReactElement {
  const first = Math.max(0, Math.min(p.selected - 4, p.choices.length - PICKER_ROWS));
  const shown = p.choices.slice(first, first + PICKER_ROWS);
  const below = p.choices.length - first - shown.length;
  return h(
    Box,
    { flexDirection: "column", borderStyle: "round", borderColor: "cyan", paddingX: 1 },
    h(Text, { bold: true }, p.title),
    first > 0 ? h(Text, { dimColor: true }, `  ↑ ${first} more`) : null,
    ...shown.map((c, n) => {
      const i = first + n;
      return h(
        Text,
        { key: c.value, color: i === p.selected ? "cyan" : undefined, dimColor: c.disabled },
        i === p.selected ? "› " : "  ",
        c.label,
        c.hint ? h(Text, { dimColor: true }, `  ${c.hint}`) : "",
      );
    }),
    below > 0 ? h(Text, { dimColor: true }, `  ↓ ${below} more`) : null,
    h(Text, { dimColor: true }, "↑/↓ to move, Enter to choose, Esc to cancel"),
  );
}

export function SecretView(p: { label: string; length: number }): ReactElement {
  return h(
    Box,
    { flexDirection: "column", borderStyle: "round", borderColor: "cyan", paddingX: 1 },
    h(Text, null, h(Text, { bold: true }, `${p.label}: `), "•".repeat(p.length)),
    h(Text, { dimColor: true }, "paste the key and press Enter (it is not shown); Esc to cancel"),
  );
}

export function ApprovalView({ request }: { request: ApprovalRequest }): ReactElement {
  const lines =
    request.kind === "command" && request.mcp
      ? [
          h(
            Text,
            { key: "q", bold: true },
            `Call ${request.mcp.tool} on the MCP server ${request.mcp.server}?`,
          ),
          h(Text, { key: "c", color: "yellow" }, `  ${request.command}`),
        ]
      : request.kind === "command"
        ? [
            h(Text, { key: "q", bold: true }, "Run this command?"),
            h(Text, { key: "c", color: "yellow" }, `  $ ${request.command}`),
            h(
              Text,
              { key: "w", dimColor: true },
              `  ${request.sandboxed ? "in the sandbox" : "NOT sandboxed"}, network ${request.network ? "allowed" : "off"}`,
            ),
          ]
        : [
            h(
              Text,
              { key: "q", bold: true },
              request.outsideWorkingTree ? "Write outside the working tree?" : "Write this file?",
            ),
            h(Text, { key: "p", color: "yellow" }, `  ${request.path}`),
            request.diff ? h(Diff, { key: "d", diff: request.diff }) : null,
          ];
  return h(
    Box,
    { flexDirection: "column", borderStyle: "round", borderColor: "yellow", paddingX: 1 },
    ...lines,
    h(Text, { bold: true }, "Allow? [y/n]"),
  );
}
