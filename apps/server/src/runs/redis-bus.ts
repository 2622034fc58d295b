// Scale-out fan-out of run events: publish on Redis, one subscriber connection per process, local fan-out.
import { EventEmitter } from "node:events";
import type { RunEvent } from "@mogplex/contract";
import type { Redis } from "ioredis";
import type { EventBus } from "./bus.js";

const CHANNEL_PREFIX = "mogplex:run-events:";
/** Longest an SSE start waits for Redis to confirm its subscription; the stream reads storage meanwhile anyway. */
const READY_WAIT_MS = 1_000;

export class RedisEventBus implements EventBus {
  private readonly local = new EventEmitter();
  private readonly refs = new Map<string, number>();
  private readonly sub: Redis;

  constructor(private readonly pub: Redis) {
    this.local.setMaxListeners(0);
    // A connection in subscriber mode can't issue other commands, so it gets its own.
    // It may queue SUBSCRIBE while still connecting, unlike the command connection, which fails fast.
    this.sub = pub.duplicate({ enableOfflineQueue: true });
    this.sub.on("error", () => undefined); // reconnects on its own; followers fall back to re-reading the store
    this.sub.on("message", (channel: string, message: string) => {
      if (!channel.startsWith(CHANNEL_PREFIX)) return;
      try {
        this.local.emit(channel.slice(CHANNEL_PREFIX.length), JSON.parse(message) as RunEvent);
      } catch {
        // A malformed message is dropped; followers re-read the store on reconnect.
      }
    });
  }

  /**
   * Never fails: the event is already stored, and live fan-out is best effort. With Redis away, followers in this
   * process get it directly; the others catch up from storage (on a sequence gap or their next quiet-period
   * re-read). A follower drops duplicates by sequence number.
   */
  async publish(runId: string, event: RunEvent): Promise<void> {
    try {
      await this.pub.publish(CHANNEL_PREFIX + runId, JSON.stringify(event));
    } catch {
      this.local.emit(runId, event);
    }
  }

  subscribe(runId: string, listener: (event: RunEvent) => void): () => void {
    this.local.on(runId, listener);
    const n = (this.refs.get(runId) ?? 0) + 1;
    this.refs.set(runId, n);
    if (n === 1) this.sub.subscribe(CHANNEL_PREFIX + runId).catch(() => undefined);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.local.off(runId, listener);
      const left = (this.refs.get(runId) ?? 1) - 1;
      if (left > 0) {
        this.refs.set(runId, left);
        return;
      }
      this.refs.delete(runId);
      this.sub.unsubscribe(CHANNEL_PREFIX + runId).catch(() => undefined);
    };
  }

  /**
   * Resolves once the subscriber connection has confirmed every current subscription (tests, SSE start), or
   * after READY_WAIT_MS while Redis is away: the subscription stays queued and the caller reads storage.
   */
  async ready(): Promise<void> {
    const channels = [...this.refs.keys()].map((id) => CHANNEL_PREFIX + id);
    if (channels.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.sub.subscribe(...channels).catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, READY_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    this.local.removeAllListeners();
    this.refs.clear();
    this.sub.disconnect();
  }
}
