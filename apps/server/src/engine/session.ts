// A sandbox's idle and lifetime limits: every command (and model call) counts as activity; expiry aborts the run.
import type { SandboxHandle } from "../sandboxes/provider/types.js";

export interface WatchedSandbox {
  /** The same sandbox, with every exec counted as activity (and never idle while one runs). */
  sandbox: SandboxHandle;
  /** Marks activity from outside the sandbox (a model call). */
  activity: () => void;
  stop(): void;
}

export function watchSandbox(
  handle: SandboxHandle,
  limits: { idleMs: number; lifetimeMs: number },
  expire: (reason: "idle_timeout" | "lifetime_timeout") => void,
  /** Persists lastActiveAt; called at most every few seconds. */
  touch: () => void,
): WatchedSandbox {
  const created = Date.now();
  let lastActive = created;
  let lastTouch = 0;
  let busy = 0;
  const activity = () => {
    lastActive = Date.now();
    if (lastActive - lastTouch > 5_000) {
      lastTouch = lastActive;
      touch();
    }
  };
  const timer = setInterval(
    () => {
      const now = Date.now();
      if (now - created > limits.lifetimeMs) expire("lifetime_timeout");
      else if (busy === 0 && now - lastActive > limits.idleMs) expire("idle_timeout");
    },
    Math.min(1_000, limits.idleMs),
  );
  const sandbox: SandboxHandle = {
    id: handle.id,
    workspace: handle.workspace,
    outDir: handle.outDir,
    pids: () => handle.pids(),
    kill: () => handle.kill(),
    destroy: () => handle.destroy(),
    open: (req) => {
      activity();
      return handle.open(req);
    },
    exec: async (req) => {
      busy++;
      activity();
      try {
        return await handle.exec(req);
      } finally {
        busy--;
        activity();
      }
    },
  };
  return { sandbox, activity, stop: () => clearInterval(timer) };
}
