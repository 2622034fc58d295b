// Ordered, secret-aware event output for one run: every step the engine takes goes through here.
import type { Logger } from "../logger.js";
import type { NewEvent, RunEventStore } from "../runs/events.js";
import { redactKnownSecrets, redactSecretValues } from "../sanitize/index.js";

/** Keeps the head and tail of long text (a command's last lines usually say why it failed). */
export function clip(text: string, max = 1_900): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.55);
  const tail = max - head;
  return `${text.slice(0, head)}\n…[${text.length - head - tail} chars omitted]…\n${text.slice(-tail)}`;
}

/** Events stored in one transaction at most, when they queue up while an append is in flight. */
const MAX_BATCH = 100;

export class RunEmitter {
  private readonly queue: Array<{ event: NewEvent; done: () => void }> = [];
  private draining: Promise<void> | null = null;
  /** Literal values to redact before storage: sandbox env values, provider keys. Grows as the run learns them. */
  readonly secrets: string[] = [];

  constructor(
    private readonly events: RunEventStore,
    private readonly runId: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Hides credentials (patterns and this run's known values) in text about to be cut for an event: a cut made
   * first could split a secret into pieces no pattern recognises, and the store sanitises only what is left.
   */
  redact(text: string): string {
    return redactSecretValues(redactKnownSecrets(text, this.secrets));
  }

  addSecrets(values: Iterable<string>): void {
    for (const v of values) {
      // Very short values would redact ordinary words everywhere; they are not credentials anyway.
      if (v.length >= 6 && !this.secrets.includes(v)) this.secrets.push(v);
    }
  }

  /**
   * Stores events in call order (seq follows the order things happened). One append at a time; whatever
   * queued up meanwhile goes into the next transaction together, so a burst costs one commit, not many.
   */
  emit(event: NewEvent): Promise<void> {
    return new Promise((done) => {
      this.queue.push({ event, done });
      this.draining ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await this.events.append(
          this.runId,
          batch.map((b) => b.event),
          this.secrets,
        );
      } catch (err) {
        // An event that cannot be stored must not take the run down with it; the log says what was lost.
        this.logger.warn(
          {
            runId: this.runId,
            types: batch.map((b) => b.event.type),
            err: { message: (err as Error).message },
          },
          "events lost",
        );
      }
      for (const b of batch) b.done();
    }
    this.draining = null;
  }

  log(message: string, payload?: Record<string, unknown>): Promise<void> {
    return this.emit({ type: "log", message, ...(payload ? { payload } : {}) });
  }

  flush(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }
}
