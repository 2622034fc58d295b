// Live fan-out of stored run events to SSE followers (in-process; Redis pub/sub for scale-out).
import { EventEmitter } from "node:events";
import type { RunEvent } from "@mogplex/contract";

export interface EventBus {
  publish(runId: string, event: RunEvent): Promise<void>;
  subscribe(runId: string, listener: (event: RunEvent) => void): () => void;
  /** Resolves when subscriptions made so far are live (Redis confirms asynchronously). */
  ready?(): Promise<void>;
  close(): Promise<void>;
}

export class MemoryEventBus implements EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Many followers of one run are normal (dashboards, CLIs); the cap is enforced per route instead.
    this.emitter.setMaxListeners(0);
  }

  async publish(runId: string, event: RunEvent): Promise<void> {
    this.emitter.emit(runId, event);
  }

  subscribe(runId: string, listener: (event: RunEvent) => void): () => void {
    this.emitter.on(runId, listener);
    return () => this.emitter.off(runId, listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
