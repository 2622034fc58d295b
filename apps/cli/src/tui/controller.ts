// The session screen's state and behaviour, apart from drawing: keys in, state out. Runs turns on the
// AgentSession, answers its approval requests from y/n, cancels on Ctrl-C (twice exits), keeps prompt history,
// and hands slash commands to slash.ts.
import type { AgentSession, ApprovalRequest } from "../agent/types.js";
import type { Ctx } from "../context.js";
import type { Key } from "./line-editor.js";
import * as ed from "./line-editor.js";
import { runSlash } from "./slash.js";
import * as tr from "./transcript.js";
import type { Choice } from "./widgets.js";

export type Overlay =
  | { kind: "none" }
  | { kind: "approval"; request: ApprovalRequest }
  | { kind: "picker"; title: string; choices: Choice[]; selected: number }
  | { kind: "secret"; label: string; value: string };

export interface UiState {
  transcript: tr.Transcript;
  editor: ed.Editor;
  busy: boolean;
  overlay: Overlay;
  /** Bumped by /clear so the printed part starts over. */
  epoch: number;
  hint: string | undefined;
  session: AgentSession;
}

export interface ControllerOptions {
  session: AgentSession;
  ctx: Ctx;
  /** Opens a new session with the credentials as they are now (after /login). */
  reopen?: () => Promise<AgentSession>;
  exit: (code: number) => void;
  history?: string[];
  /** The clock for the double Ctrl-C window (tests move it). */
  now?: () => number;
}

/** Within this long, a second Ctrl-C exits even while a turn is still stopping. */
const DOUBLE_PRESS_MS = 1000;

export class Controller {
  private state: UiState;
  private readonly listeners = new Set<() => void>();
  private abort: AbortController | undefined;
  private approvals: Array<{ request: ApprovalRequest; resolve: (ok: boolean) => void }> = [];
  private picked: ((value: string | undefined) => void) | undefined;
  private lastCtrlC = Number.NEGATIVE_INFINITY;
  private armed = false;
  private pasting = false;
  private slashRunning = false;

  constructor(readonly o: ControllerOptions) {
    this.state = {
      transcript: tr.emptyTranscript(),
      editor: ed.emptyEditor(o.history),
      busy: false,
      overlay: { kind: "none" },
      epoch: 0,
      hint: undefined,
      session: o.session,
    };
  }

  get session(): AgentSession {
    return this.state.session;
  }
  getState = (): UiState => this.state;
  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };
  set(change: Partial<UiState>): void {
    this.state = { ...this.state, ...change };
    for (const fn of this.listeners) fn();
  }
  print(text: string, tone: tr.Tone = "info"): void {
    this.set({ transcript: tr.note(this.state.transcript, text, tone) });
  }
  /** Shows a list; resolves with the chosen value, or undefined on Esc. */
  pick(title: string, choices: Choice[]): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.picked = resolve;
      this.set({ overlay: { kind: "picker", title, choices, selected: 0 } });
    });
  }
  /** Asks for a secret (masked); resolves with it, or undefined on Esc. */
  secret(label: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.picked = resolve;
      this.set({ overlay: { kind: "secret", label, value: "" } });
    });
  }
  replaceSession(session: AgentSession): void {
    this.set({ session, transcript: tr.emptyTranscript(), epoch: this.state.epoch + 1 });
  }
  clear(): void {
    this.state.session.clear();
    this.set({
      transcript: tr.note(tr.emptyTranscript(), "Conversation cleared.", "dim"),
      epoch: this.state.epoch + 1,
    });
  }

  /** Leaving: a running turn is cancelled and open questions are answered no. */
  shutdown(): void {
    this.refuseOpen();
    this.abort?.abort();
    this.finishPick(undefined);
  }

  key(input: string, k: Key): void {
    if (k.ctrl && input === "c") {
      this.ctrlC();
      return;
    }
    if (input === "[200~" || input === "[201~") {
      // Bracketed paste markers: Enter inside a paste is a line break, not a submit.
      this.pasting = input === "[200~";
      return;
    }
    this.armed = false;
    if (this.state.hint) this.set({ hint: undefined });
    const o = this.state.overlay;
    // Esc stops a running turn (without arming the exit); Ctrl-D on an empty prompt leaves.
    const idle = o.kind === "none" && !this.state.busy;
    if (k.escape && this.state.busy && o.kind === "none") this.cancelTurn("Cancelling…");
    else if (k.ctrl && input === "d" && idle && this.state.editor.text === "") this.o.exit(0);
    else if (o.kind === "approval") this.answerApproval(input, k);
    else if (o.kind === "picker") this.pickerKey(o, k);
    else if (o.kind === "secret") this.secretKey(o, input, k);
    else this.editorKey(input, k);
  }

  private ctrlC(): void {
    const now = (this.o.now ?? Date.now)();
    const quick = now - this.lastCtrlC < DOUBLE_PRESS_MS;
    this.lastCtrlC = now;
    if (quick || (!this.state.busy && this.armed)) {
      this.o.exit(0);
      return;
    }
    this.armed = true;
    if (this.state.overlay.kind === "picker" || this.state.overlay.kind === "secret")
      this.finishPick(undefined);
    if (this.state.busy) {
      this.cancelTurn("Cancelling… (Ctrl-C again to exit)");
      return;
    }
    this.set({ editor: ed.emptyEditor(this.state.editor.history), hint: "Press Ctrl-C again to exit." });
  }

  /** Open approval questions are answered no. */
  private refuseOpen(): void {
    for (const a of this.approvals.splice(0)) a.resolve(false);
  }

  /** Stops the running turn: open questions are answered no and its signal aborts. */
  private cancelTurn(hint: string): void {
    this.refuseOpen();
    this.abort?.abort();
    this.set({ overlay: { kind: "none" }, hint });
  }

  private editorKey(input: string, k: Key): void {
    const { editor, send } = ed.editKey(this.state.editor, input, k, this.pasting);
    if (editor !== this.state.editor) this.set({ editor });
    if (send) this.enter();
  }

  private enter(): void {
    // One thing at a time: no prompt while a turn runs or a slash command (e.g. /login switching) is underway.
    if (this.state.busy || this.slashRunning) return;
    const { prompt, editor } = ed.submit(this.state.editor);
    this.set({ editor });
    if (prompt === undefined) return;
    if (prompt.trimStart().startsWith("/")) {
      this.slashRunning = true;
      void runSlash(this, prompt.trim())
        .catch((err: unknown) =>
          this.print(`${prompt.trim().split(/\s/)[0]}: ${(err as Error).message}`, "error"),
        )
        .finally(() => {
          this.slashRunning = false;
        });
      return;
    }
    void this.turn(prompt);
  }

  /** One turn: events stream into the transcript; resolves when the session's turn() does. */
  async turn(prompt: string): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    this.set({ busy: true, transcript: tr.startTurn(this.state.transcript, prompt) });
    let reason: "done" | "cancelled" | "step_limit" = "done";
    let reported = false;
    try {
      const r = await this.session.turn(prompt, {
        signal: abort.signal,
        approve: (request) => this.approve(request),
        onEvent: (e) => {
          if (e.type === "error") reported = true;
          this.set({ transcript: tr.apply(this.state.transcript, e) });
        },
      });
      reason = r.reason;
    } catch (err) {
      // A failed model call reports itself as an `error` event before turn() rejects: print it once.
      reason = abort.signal.aborted ? "cancelled" : "done";
      if (!abort.signal.aborted && !reported) this.print((err as Error).message, "error");
    }
    this.refuseOpen();
    this.abort = undefined;
    this.set({
      busy: false,
      overlay: { kind: "none" },
      hint: undefined,
      transcript: tr.finishTurn(this.state.transcript, reason),
    });
  }

  private approve(request: ApprovalRequest): Promise<boolean> {
    if (this.abort?.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.approvals.push({ request, resolve });
      if (this.approvals.length === 1) this.set({ overlay: { kind: "approval", request } });
    });
  }

  private answerApproval(input: string, k: Key): void {
    const yes = input === "y" || input === "Y";
    const no = input === "n" || input === "N" || k.escape;
    if (!yes && !no) return;
    const current = this.approvals.shift();
    if (current) {
      // The question disappears once answered; a write's answer stays printed with its diff.
      this.set({ transcript: tr.answered(this.state.transcript, current.request, yes) });
      current.resolve(yes);
    }
    const next = this.approvals[0];
    this.set({ overlay: next ? { kind: "approval", request: next.request } : { kind: "none" } });
  }

  private pickerKey(o: Extract<Overlay, { kind: "picker" }>, k: Key): void {
    const n = o.choices.length;
    if (k.escape) this.finishPick(undefined);
    else if (k.upArrow) this.set({ overlay: { ...o, selected: (o.selected - 1 + n) % n } });
    else if (k.downArrow) this.set({ overlay: { ...o, selected: (o.selected + 1) % n } });
    else if (k.return) this.finishPick(o.choices[o.selected]?.value);
  }

  private secretKey(o: Extract<Overlay, { kind: "secret" }>, input: string, k: Key): void {
    if (k.escape) this.finishPick(undefined);
    else if (k.return && !this.pasting) this.finishPick(o.value.trim() || undefined);
    else if (k.backspace || k.delete) this.set({ overlay: { ...o, value: o.value.slice(0, -1) } });
    else if (input && !k.ctrl) this.set({ overlay: { ...o, value: o.value + input.replace(/[\r\n]/g, "") } });
  }

  private finishPick(value: string | undefined): void {
    const done = this.picked;
    this.picked = undefined;
    this.set({ overlay: { kind: "none" } });
    done?.(value);
  }
}
