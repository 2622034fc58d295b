// Live previews: the dev servers this process's worker runs, by sandbox, for the preview hosts to reach.
import type { Socket } from "node:net";

/**
 * The run's and sandbox's `previewUrl`: the control plane's hand-off path, which sends a member on to the
 * sandbox's own preview host (sandboxes/preview-routes.ts). It carries no secret.
 */
export function previewPath(sandboxId: string): string {
  return `/preview/${sandboxId}/`;
}

export interface LivePreview {
  teamId: string;
  /** The port the dev server listens on inside the sandbox. */
  port: number;
  /** A new connection to the dev server (through the sandbox's port bridge). */
  connect(): Promise<Socket>;
  /** Marks the sandbox active (a preview request keeps it from idling out). */
  activity(): void;
}

/**
 * In-process only: a preview host is answered by the HTTP server of the process whose worker runs the sandbox
 * (`mogplex serve`, which always runs one). Entries go when the dev server exits or the sandbox stops.
 */
export class PreviewRegistry {
  private readonly live = new Map<string, LivePreview>();

  add(sandboxId: string, preview: LivePreview): void {
    this.live.set(sandboxId, preview);
  }

  /** Removes the entry only if it is still `preview` (a later one for the same sandbox stays). */
  remove(sandboxId: string, preview?: LivePreview): void {
    if (!preview || this.live.get(sandboxId) === preview) this.live.delete(sandboxId);
  }

  get(sandboxId: string): LivePreview | undefined {
    return this.live.get(sandboxId);
  }
}
