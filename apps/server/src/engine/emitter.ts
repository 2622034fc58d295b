// Ordered, secret-aware event output for one run: every step the engine takes goes through here.
import type { Logger } from "../logger.js";
import type { NewEvent, RunEventStore } from "../runs/events.js";

/** Keeps the head and tail of long text (a command's last lines usually say why it failed). */
export function clip(text: string, max = 1_900): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.55);
  const tail = max - head;
  return `${text.slice(0, head)}\n…[${text.length - head - tail} chars omitted]…\n${text.slice(-tail)}`;
}

export class RunEmitter {
  private chain: Promise<void> = Promise.resolve();
  /** Literal values to redact before storage: sandbox env values, provider keys. Grows as the run learns them. */
  readonly secrets: string[] = [];

  constructor(
    private readonly events: RunEventStore,
    private readonly runId: string,
    private readonly logger: Logger,
  ) {}

  addSecrets(values: Iterable<string>): void {
    for (const v of values) {
      // Very short values would redact ordinary words everywhere; they are not credentials anyway.
      if (v.length >= 6 && !this.secrets.includes(v)) this.secrets.push(v);
    }
  }

  /** Appends in call order (one at a time, so seq follows the order things happened). */
  emit(event: NewEvent): Promise<void> {
    const next = this.chain.then(async () => {
      try {
        await this.events.append(this.runId, [event], this.secrets);
      } catch (err) {
        // An event that cannot be stored must not take the run down with it; the log says what was lost.
        this.logger.warn({ runId: this.runId, type: event.type, err: { message: (err as Error).message } }, "event lost");
      }
    });
    this.chain = next;
    return next;
  }

  log(message: string, payload?: Record<string, unknown>): Promise<void> {
    return this.emit({ type: "log", message, ...(payload ? { payload } : {}) });
  }

  flush(): Promise<void> {
    return this.chain;
  }
}
