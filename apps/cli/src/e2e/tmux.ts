// A real terminal for e2e tests: the built CLI in a tmux window (120×40) on a tmux server of the test file's
// own, read with capture-pane and typed into with send-keys. Needs tmux (scripts/setup.sh territory).
import { execFileSync } from "node:child_process";
import { BIN } from "./support.js";

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export interface Terminal {
  name: string;
  screen(): string;
  /** The screen with colours (SGR escapes) kept. */
  colours(): string;
  keys(...keys: string[]): void;
  /** Types text literally. */
  type(text: string): void;
  /** Pastes text the way a terminal does (bracketed when the program asked for it). */
  paste(text: string): void;
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

export function tmuxServer(label: string) {
  const socket = `mogplex-${label}-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
  let count = 0;
  return {
    /** Fails with a clear message when tmux is missing. */
    check(): void {
      try {
        execFileSync("tmux", ["-V"]);
      } catch {
        throw new Error("tmux is required for the terminal tests (install it, e.g. in scripts/setup.sh)");
      }
    },
    /** Runs `mogplex ARGS` in a fresh window; prints EXIT:<code> when it ends. */
    open(args: string[], env: Record<string, string>, cwd?: string): Terminal {
      const name = `s${count++}`;
      const vars = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`);
      const cd = cwd ? `cd ${quote(cwd)} && ` : "";
      const cmd = `${cd}env -i ${vars.join(" ")} ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(" ")}; echo EXIT:$?; sleep 600`;
      tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", cmd);
      const screen = () => tmux("capture-pane", "-p", "-J", "-S", "-", "-t", name);
      return {
        name,
        screen,
        colours: () => tmux("capture-pane", "-p", "-J", "-e", "-S", "-", "-t", name),
        keys: (...keys) => void tmux("send-keys", "-t", name, ...keys),
        type: (text) => void tmux("send-keys", "-t", name, "-l", text),
        paste(text) {
          tmux("set-buffer", "-b", name, text);
          tmux("paste-buffer", "-p", "-d", "-b", name, "-t", name);
        },
        async waitFor(re, timeoutMs = 60_000) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const m = re.exec(screen());
            if (m) return m;
            if (Date.now() > deadline) throw new Error(`no ${re} on screen:\n${screen()}`);
            await new Promise((r) => setTimeout(r, 100));
          }
        },
      };
    },
    /** Ends every window and the tmux server. */
    kill(): void {
      try {
        tmux("kill-server");
      } catch {}
    },
  };
}
