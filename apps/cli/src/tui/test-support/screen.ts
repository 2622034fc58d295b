// The session screen rendered by ink-testing-library over a scripted session: type keys, read the frame.
import { render } from "ink-testing-library";
import { createElement as h } from "react";
import { expect, vi } from "vitest";
import type { AgentSession } from "../../agent/types.js";
import { type TestCtx, testCtx } from "../../test-support/ctx.js";
import { App } from "../app.js";
import { Controller } from "../controller.js";
import { type ScriptedSession, scriptedSession } from "./scripted-session.js";

export const KEY = {
  enter: "\r",
  up: "\x1b[A",
  down: "\x1b[B",
  ctrlC: "\x03",
  backspace: "\x7f",
  pasteStart: "\x1b[200~",
  pasteEnd: "\x1b[201~",
} as const;

export interface Screen {
  session: ScriptedSession;
  controller: Controller;
  ctx: TestCtx;
  exits: number[];
  frame(): string;
  /** Writes to the terminal's input (each call is one read, like a keypress or a paste). */
  press(...chunks: string[]): Promise<void>;
  /** Types a line and presses Enter. */
  submit(line: string): Promise<void>;
  /** Waits until the frame matches. */
  see(re: RegExp | string): Promise<void>;
  unmount(): void;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

export function screen(
  o: {
    session?: ScriptedSession;
    env?: Record<string, string>;
    reopen?: () => Promise<AgentSession>;
    now?: () => number;
  } = {},
): Screen {
  const session = o.session ?? scriptedSession();
  const ctx = testCtx(o.env);
  const exits: number[] = [];
  const controller = new Controller({
    session,
    ctx,
    reopen: o.reopen,
    now: o.now,
    exit: (c) => exits.push(c),
  });
  const r = render(h(App, { controller, header: { sandbox: true, network: false, cwd: "/work/project" } }));
  const frame = () => r.lastFrame() ?? "";
  const press = async (...chunks: string[]) => {
    for (const c of chunks) {
      r.stdin.write(c);
      await tick();
    }
  };
  return {
    session,
    controller,
    ctx,
    exits,
    frame,
    press,
    async submit(line) {
      await press(line, KEY.enter);
    },
    async see(re) {
      await vi.waitFor(
        () => {
          if (typeof re === "string") expect(frame()).toContain(re);
          else expect(frame()).toMatch(re);
        },
        { timeout: 20_000, interval: 10 },
      );
    },
    unmount: () => r.unmount(),
  };
}
