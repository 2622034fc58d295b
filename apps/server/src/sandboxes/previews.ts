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
  private readonly listeners = new Set<(gone: LivePreview) => void>();

  add(sandboxId: string, preview: LivePreview): void {
    const before = this.live.get(sandboxId);
    this.live.set(sandboxId, preview);
    if (before && before !== preview) this.gone(before);
  }

  /** Removes the entry only if it is still `preview` (a later one for the same sandbox stays). */
  remove(sandboxId: string, preview?: LivePreview): void {
    const current = this.live.get(sandboxId);
    if (!current || (preview && current !== preview)) return;
    this.live.delete(sandboxId);
    this.gone(current);
  }

  /** Calls `fn` with each preview that leaves (its WebSocket tunnels close with it); returns the unsubscribe. */
  onGone(fn: (gone: LivePreview) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private gone(preview: LivePreview): void {
    for (const fn of this.listeners) fn(preview);
  }

  get(sandboxId: string): LivePreview | undefined {
    return this.live.get(sandboxId);
  }
}
