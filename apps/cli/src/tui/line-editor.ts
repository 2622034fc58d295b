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
