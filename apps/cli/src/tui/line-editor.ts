// The prompt's text and cursor, and the history of submitted prompts, as pure functions of key presses:
// typing, pasting (newlines kept), moving, deleting, and Up/Down through earlier prompts.

export interface Editor {
  text: string;
  cursor: number;
  history: string[];
  /** Position in history while browsing with Up/Down; history.length = the draft being edited. */
  index: number;
  /** The draft put aside while browsing history. */
  draft: string;
}

export const emptyEditor = (history: string[] = []): Editor => ({
  text: "",
  cursor: 0,
  history,
  index: history.length,
  draft: "",
});

/** Typed or pasted text at the cursor; a paste's line breaks (CR, CRLF, LF) become newlines in the prompt. */
export function insert(e: Editor, s: string): Editor {
  const clean = s.replace(/\r\n?/g, "\n").replace(/\t/g, "  ");
  return {
    ...e,
    text: e.text.slice(0, e.cursor) + clean + e.text.slice(e.cursor),
    cursor: e.cursor + clean.length,
  };
}

export function backspace(e: Editor): Editor {
  if (e.cursor === 0) return e;
  return { ...e, text: e.text.slice(0, e.cursor - 1) + e.text.slice(e.cursor), cursor: e.cursor - 1 };
}

export const left = (e: Editor): Editor => ({ ...e, cursor: Math.max(0, e.cursor - 1) });
export const right = (e: Editor): Editor => ({ ...e, cursor: Math.min(e.text.length, e.cursor + 1) });
export const home = (e: Editor): Editor => ({ ...e, cursor: e.text.lastIndexOf("\n", e.cursor - 1) + 1 });
export function end(e: Editor): Editor {
  const nl = e.text.indexOf("\n", e.cursor);
  return { ...e, cursor: nl === -1 ? e.text.length : nl };
}
/** Ctrl-U: everything before the cursor goes. */
export const killBefore = (e: Editor): Editor => ({ ...e, text: e.text.slice(e.cursor), cursor: 0 });

/** Up: the previous prompt (the current draft is kept to come back to). */
export function up(e: Editor): Editor {
  if (e.index === 0) return e;
  const draft = e.index === e.history.length ? e.text : e.draft;
  const text = e.history[e.index - 1] ?? "";
  return { ...e, index: e.index - 1, text, cursor: text.length, draft };
}

/** Down: the next prompt, and past the newest the draft again. */
export function down(e: Editor): Editor {
  if (e.index >= e.history.length) return e;
  const index = e.index + 1;
  const text = index === e.history.length ? e.draft : (e.history[index] ?? "");
  return { ...e, index, text, cursor: text.length };
}

/** Enter: the prompt to send (undefined when blank) and an empty editor with it added to history. */
export function submit(e: Editor): { prompt: string | undefined; editor: Editor } {
  const prompt = e.text.trim() === "" ? undefined : e.text;
  const history =
    prompt === undefined || e.history[e.history.length - 1] === prompt ? e.history : [...e.history, prompt];
  return { prompt, editor: emptyEditor(history) };
}

/** A key press as Ink reports it (the fields the session uses). */
export interface Key {
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  backspace?: boolean;
  delete?: boolean;
  home?: boolean;
  end?: boolean;
  tab?: boolean;
}

/**
 * One key press on the prompt: the editor after it, and whether to send. Enter sends — unless inside a bracketed
 * paste or with Alt — and typing that arrives with its Enter in one read ("text\r") is sent too; a line break
 * inside a chunk is a paste and stays.
 */
export function editKey(
  e: Editor,
  input: string,
  k: Key,
  pasting: boolean,
): { editor: Editor; send: boolean } {
  if (k.return)
    return pasting || k.meta ? { editor: insert(e, "\n"), send: false } : { editor: e, send: true };
  let next = e;
  if (k.upArrow) next = up(e);
  else if (k.downArrow) next = down(e);
  else if (k.leftArrow) next = left(e);
  else if (k.rightArrow) next = right(e);
  else if (k.home || (k.ctrl && input === "a")) next = home(e);
  else if (k.end || (k.ctrl && input === "e")) next = end(e);
  else if (k.ctrl && input === "u") next = killBefore(e);
  // Terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`.
  else if (k.backspace || k.delete) next = backspace(e);
  else if (input && !k.ctrl && !k.escape) {
    const typedEnter = !pasting && /^[^\r\n]+\r$/.test(input);
    return { editor: insert(e, typedEnter ? input.slice(0, -1) : input), send: typedEnter };
  }
  return { editor: next, send: false };
}
