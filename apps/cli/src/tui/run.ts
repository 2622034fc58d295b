// Starts the session screen on the terminal: renders the App, turns on bracketed paste (a pasted newline stays
// in the prompt), and on exit cancels what runs, closes the session and gives the terminal back.
import { render } from "ink";
import { createElement as h } from "react";
import type { AgentSession } from "../agent/types.js";
import type { Ctx } from "../context.js";
import { App } from "./app.js";
import { Controller } from "./controller.js";

export interface ScreenOptions {
  /** Opens a session with the credentials as they are at that moment (at start, and after /login). */
  open: () => Promise<AgentSession>;
  sandbox: boolean;
  network: boolean;
  cwd: string;
}

const PASTE_ON = "\x1b[?2004h";
const PASTE_OFF = "\x1b[?2004l";

/** Runs until /exit or Ctrl-C twice; resolves with the exit code. */
export async function runScreen(ctx: Ctx, o: ScreenOptions): Promise<number> {
  const session = await o.open();
  let code = 0;
  let unmount = () => {};
  const controller = new Controller({
    session,
    ctx,
    reopen: o.open,
    exit: (c) => {
      code = c;
      controller.shutdown();
      unmount();
    },
  });
  process.stdout.write(PASTE_ON);
  const app = render(h(App, { controller, header: { sandbox: o.sandbox, network: o.network, cwd: o.cwd } }), {
    exitOnCtrlC: false,
  });
  // After React has drawn the last state (the prompt cleared of "/exit"), not in the middle of it.
  unmount = () => setImmediate(() => app.unmount());
  try {
    await app.waitUntilExit();
  } finally {
    process.stdout.write(PASTE_OFF);
    await controller.session.close().catch(() => {});
  }
  return code;
}
