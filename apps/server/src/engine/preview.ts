// A run's preview: the repo's dev command, started in the sandbox after setup, reachable only on the sandbox's own
// preview host (sandboxes/preview-host/), which members reach through the control plane's hand-off route
// (sandboxes/preview-routes.ts), while the sandbox lives.
import type { ReposTable } from "../db/schema.js";
import { type LivePreview, previewPath } from "../sandboxes/previews.js";
import type { SandboxHandle } from "../sandboxes/provider/types.js";
import type { SandboxService } from "../sandboxes/service.js";
import { clip, type RunEmitter } from "./emitter.js";

/** Bytes of the dev server's stderr kept to explain an early exit (its tail, redacted before it is stored). */
const STDERR_TAIL = 4_096;

export interface PreviewDeps {
  sandbox: SandboxHandle;
  sandboxId: string;
  teamId: string;
  repo: Pick<ReposTable, "dev_command" | "port">;
  /** The repo root inside the sandbox: the dev command's working directory. */
  cwd: string;
  emit: RunEmitter;
  sandboxes: Pick<SandboxService, "previews" | "setPreviewUrl">;
  activity: () => void;
  /** Aborted when the run ends early (cancel, stop, timeouts): the dev server's exit is then expected. */
  signal: AbortSignal;
}

export interface RunningPreview {
  url: string;
  /** Takes the preview off the route and clears the URLs; the sandbox's kill ends the process itself. */
  stop(): Promise<void>;
}

// The dev command runs as its own script with PORT and MOGPLEX_PREVIEW_BASE set (positional values, never
// interpolated). Each preview has an origin of its own, so the base path it is served under is always "/".
const PRELUDE = 'export PORT="$1" MOGPLEX_PREVIEW_BASE="$2"; set --\n';

/** Starts the dev server when the repo has a dev command and a port; null otherwise. */
export async function startPreview(d: PreviewDeps): Promise<RunningPreview | null> {
  const command = d.repo.dev_command?.trim();
  if (!command) return null;
  if (d.repo.port === null) {
    await d.emit.log("Dev command set but no port: no preview (set the repo's port)");
    return null;
  }
  const url = previewPath(d.sandboxId);
  let tail = Buffer.alloc(0);
  const proc = await d.sandbox.open({
    script: PRELUDE + command,
    args: [String(d.repo.port), "/"],
    cwd: d.cwd,
    exposePort: d.repo.port,
    onStderr: (chunk) => {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > STDERR_TAIL) tail = tail.subarray(tail.length - STDERR_TAIL);
    },
  });
  const connect = proc.connectPort;
  if (!connect) throw new Error("the sandbox provider did not expose the dev server's port");
  const live: LivePreview = { teamId: d.teamId, port: d.repo.port, connect, activity: d.activity };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    d.sandboxes.previews.remove(d.sandboxId, live);
    await d.sandboxes.setPreviewUrl(d.sandboxId, null);
  };
  d.sandboxes.previews.add(d.sandboxId, live);
  await d.sandboxes.setPreviewUrl(d.sandboxId, url);
  await d.emit.log(`Preview: ${command} on port ${d.repo.port}, served at ${url}`, {
    command,
    port: d.repo.port,
    previewUrl: url,
  });
  void proc.exited.then(async ({ exitCode, signal }) => {
    // Off the route at once, whatever ended it; the URLs are cleared by stop() (here, or at the run's end).
    d.sandboxes.previews.remove(d.sandboxId, live);
    if (stopped || d.signal.aborted) return;
    await stop().catch(() => undefined);
    const why = d.emit.redact(tail.toString("utf8").trim());
    await d.emit.log(`Dev server exited (${exitCode ?? signal}); the preview is gone`, {
      exitCode,
      signal,
      stderr: clip(why, 1_000),
    });
  });
  return { url, stop };
}
