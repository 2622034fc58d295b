// The upstream pool: one long-lived client per configured server, stdio processes capped and reaped when idle.
import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import type { Clock } from "../../clock.js";
import type { ResolvedServer } from "../../connections/service.js";
import type { Logger } from "../../logger.js";
import { GatewayError } from "../errors.js";
import type { StdioLauncher } from "../launch/launcher.js";
import { type ListKind, Upstream } from "./upstream.js";

export interface PoolOptions {
  launcher: StdioLauncher;
  clock: Clock;
  logger: Logger;
  maxStdio: number;
  stdioIdleMs: number;
  timeoutMs: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
  /** Each start's outcome for a server (see Upstream.onStatus); only the current config's upstream reports. */
  onStatus?(config: ResolvedServer, outcome: { ok: true } | { ok: false; message: string }): void;
}

export class UpstreamPool {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly stdioHolders = new Set<Upstream>();
  private readonly retiring = new Set<Promise<void>>();
  private readonly waiters: Array<() => void> = [];
  private readonly listeners: Array<(serverId: string, kind: ListKind) => void> = [];
  private closed = false;

  constructor(private readonly o: PoolOptions) {}

  onListChanged(listener: (serverId: string, kind: ListKind) => void): void {
    this.listeners.push(listener);
  }

  /** The pooled upstream for this config; a newer version of the config replaces (and closes) the old one. */
  get(config: ResolvedServer): Upstream {
    if (this.closed)
      throw new GatewayError("upstream_unavailable", ErrorCode.InternalError, "Gateway is shutting down");
    const cur = this.upstreams.get(config.id);
    if (cur && cur.config.version === config.version) return cur;
    if (cur) this.retire(config.id);
    const u = new Upstream(config, {
      launcher: this.o.launcher,
      clock: this.o.clock,
      logger: this.o.logger,
      timeoutMs: this.o.timeoutMs,
      breakerThreshold: this.o.breakerThreshold,
      breakerCooldownMs: this.o.breakerCooldownMs,
      acquireStdio: (x) => this.acquireStdio(x),
      releaseStdio: (x) => {
        this.stdioHolders.delete(x);
        this.wake();
      },
      onIdle: (x) => {
        if (x.isStdio) this.wake();
      },
      onStatus: (x, outcome) => this.o.onStatus?.(x.config, outcome),
      onListChanged: (x, kind) => {
        if (this.upstreams.get(x.config.id) === x) for (const l of this.listeners) l(x.config.id, kind);
      },
    });
    this.upstreams.set(config.id, u);
    return u;
  }

  /** Removes a server (deleted or changed) and waits nowhere: the close is tracked for shutdown. */
  retire(serverId: string): void {
    const u = this.upstreams.get(serverId);
    if (!u) return;
    this.upstreams.delete(serverId);
    this.track(u.close());
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch(() => undefined).finally(() => this.retiring.delete(tracked));
    this.retiring.add(tracked);
  }

  private wake(): void {
    const waiting = this.waiters.splice(0);
    for (const w of waiting) w();
  }

  /**
   * A process slot for `u`. At the cap, the least recently used idle stdio server is stopped to make room;
   * when every one is busy, the call waits for one to become idle (or exit) up to the upstream timeout, then
   * fails rather than queueing without bound.
   */
  private async acquireStdio(u: Upstream): Promise<void> {
    const giveUpAt = Date.now() + this.o.timeoutMs;
    for (;;) {
      if (this.stdioHolders.size < this.o.maxStdio) {
        this.stdioHolders.add(u);
        return;
      }
      const idle = [...this.stdioHolders]
        .filter((x) => x !== u && !x.busy)
        .sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (idle) {
        // Swap the slot synchronously so a concurrent acquire can't take it, then wait for the old one to exit.
        this.stdioHolders.delete(idle);
        this.stdioHolders.add(u);
        await idle.idle();
        return;
      }
      const left = giveUpAt - Date.now();
      if (left <= 0 || this.closed) {
        throw new GatewayError(
          "upstream_unavailable",
          ErrorCode.InternalError,
          "Too many stdio MCP servers running",
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Stops stdio processes idle longer than the limit (called on a timer, and by tests with a fake clock). */
  async reapIdle(): Promise<number> {
    const now = this.o.clock.now();
    const idle = [...this.upstreams.values()].filter(
      (u) => u.isStdio && u.live && !u.busy && now - u.lastUsed >= this.o.stdioIdleMs,
    );
    await Promise.all(idle.map((u) => u.idle()));
    return idle.length;
  }

  /** Live stdio processes (for limits, tests and readiness). */
  get stdioCount(): number {
    return this.stdioHolders.size;
  }

  upstream(serverId: string): Upstream | undefined {
    return this.upstreams.get(serverId);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    const all = [...this.upstreams.values()];
    this.upstreams.clear();
    await Promise.all([...all.map((u) => u.close().catch(() => undefined)), ...this.retiring]);
  }
}
