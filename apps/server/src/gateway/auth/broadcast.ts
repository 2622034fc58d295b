// Invalidation broadcast: in-process for one replica, Redis pub/sub across replicas; local delivery is synchronous.
import type { Redis } from "ioredis";
import type { Logger } from "../../logger.js";

export type Invalidation =
  | { kind: "key"; keyId: string }
  | { kind: "connections"; teamId: string; connectionId: string }
  /** Everything cached may be stale (a subscriber reconnected and may have missed messages). */
  | { kind: "all" };

export interface InvalidationBus {
  /** Delivers to this replica before returning, then to every other replica. */
  publish(msg: Invalidation): Promise<void>;
  subscribe(listener: (msg: Invalidation) => void): void;
  close(): Promise<void>;
}

export class MemoryInvalidationBus implements InvalidationBus {
  protected readonly listeners: Array<(msg: Invalidation) => void> = [];

  async publish(msg: Invalidation): Promise<void> {
    this.deliver(msg);
  }

  subscribe(listener: (msg: Invalidation) => void): void {
    this.listeners.push(listener);
  }

  protected deliver(msg: Invalidation): void {
    for (const l of this.listeners) l(msg);
  }

  async close(): Promise<void> {
    this.listeners.length = 0;
  }
}

const CHANNEL = "mogplex:gateway:invalidate";

function parse(raw: string): Invalidation | null {
  try {
    const v = JSON.parse(raw) as Invalidation;
    if (v.kind === "key" && typeof v.keyId === "string") return { kind: "key", keyId: v.keyId };
    if (v.kind === "connections" && typeof v.teamId === "string" && typeof v.connectionId === "string")
      return { kind: "connections", teamId: v.teamId, connectionId: v.connectionId };
    if (v.kind === "all") return { kind: "all" };
  } catch {
    // a foreign message on our channel: ignore it
  }
  return null;
}

/**
 * A subscriber connection can't run other commands, so it is a duplicate of the shared client. Pub/sub
 * has no replay: whenever the subscriber (re)connects, every cache is dropped, since an invalidation may
 * have been published while it was away.
 */
export class RedisInvalidationBus extends MemoryInvalidationBus {
  private readonly sub: Redis;
  private readonly origin = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  /** After close(), a pending subscribe failing with "Connection is closed" is expected, not news. */
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {
    super();
    this.sub = redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
    this.sub.on("error", (err) => {
      if (!this.closed)
        this.logger.warn({ err: { message: err.message } }, "gateway invalidation subscriber");
    });
    this.sub.on("ready", () => {
      this.sub.subscribe(CHANNEL).then(
        () => this.deliver({ kind: "all" }),
        (err: Error) => {
          if (!this.closed)
            this.logger.warn({ err: { message: err.message } }, "gateway invalidation subscribe failed");
        },
      );
    });
    this.sub.on("message", (channel: string, raw: string) => {
      if (channel !== CHANNEL) return;
      const sep = raw.indexOf("|");
      if (sep < 0 || raw.slice(0, sep) === this.origin) return; // ours: already delivered locally
      const msg = parse(raw.slice(sep + 1));
      if (msg) this.deliver(msg);
    });
  }

  /** Resolves once the subscription is live (tests, and replicas that must not miss early messages). */
  async ready(): Promise<void> {
    if (this.sub.status === "ready") {
      // subscribe() again is idempotent and resolves once Redis confirmed it.
      await this.sub.subscribe(CHANNEL);
      return;
    }
    await new Promise<void>((resolve) => this.sub.once("ready", () => resolve()));
    await this.sub.subscribe(CHANNEL);
  }

  override async publish(msg: Invalidation): Promise<void> {
    this.deliver(msg);
    try {
      await this.redis.publish(CHANNEL, `${this.origin}|${JSON.stringify(msg)}`);
    } catch (err) {
      // The change is committed; other replicas still drop the entry when its cache lifetime ends.
      this.logger.error({ err: { message: (err as Error).message } }, "gateway invalidation publish failed");
    }
  }

  override async close(): Promise<void> {
    this.closed = true;
    await super.close();
    this.sub.disconnect();
  }
}
