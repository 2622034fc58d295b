// Runs secretlint's recommended rule preset over event text, synchronously, and returns where secrets are.
//
// The credential formats come from `@secretlint/secretlint-rule-preset-recommend` itself: each rule's own
// `create(context).file(source)` runs over the text, so upgrading the package brings its new formats and fixed
// patterns with no change here. `@secretlint/core`'s `lintSource` would do the same but is async (the event
// path is not) and builds line tables and messages per string, several times our per-event budget; so the
// rules are instantiated once at start-up against a minimal context of our own (a report callback that keeps
// ranges), and each is gated by an anchor derived from the patterns it applies (see probeAnchor).
// `preset.test.ts` checks against `lintSource` that this finds whatever core finds.
import { rules as presetRules } from "@secretlint/secretlint-rule-preset-recommend";
import { type Anchor, anchorOf } from "./anchors.js";

export type Range = readonly [start: number, end: number];

export interface Source {
  readonly content: string;
  readonly filePath: undefined;
  readonly ext: string;
  readonly contentType: "text";
}

interface RuleHandler {
  file?: (source: Source) => unknown;
}

interface RuleModule {
  readonly meta: { readonly id: string; readonly type?: string; readonly supportedContentTypes?: string[] };
  create(context: unknown, options: Record<string, unknown>): RuleHandler;
}

// The in-text `secretlint-disable` comments are never honoured: the text is the agent's output, so anything
// it writes could switch the scan off. That rule only ever suppresses other rules' findings.
const EXCLUDED: ReadonlySet<string> = new Set(["@secretlint/secretlint-rule-filter-comments"]);

// AWS key ids are opt-in in the preset (they are not secret on their own); we hide them because an id next
// to its secret half is what makes the pair usable.
const OPTIONS: Readonly<Record<string, Record<string, unknown>>> = {
  "@secretlint/secretlint-rule-aws": { enableIDScanRule: true },
};

export interface CompiledRule {
  readonly id: string;
  readonly file: (source: Source) => unknown;
  /** Literals one of which must be in the text for this rule to report anything; null: always run it. */
  readonly anchor: Anchor | null;
}

// Reports land here while one scan runs; the rules call back synchronously, so a module-level sink is safe.
let sink: Array<Range> | null = null;

const context = {
  sharedOptions: {},
  // Messages are never shown, so no translation work is done per finding.
  createTranslator: () => (messageId: string) => ({ message: messageId, messageId }),
  report(descriptor: { range?: readonly [number, number] }): void {
    const range = descriptor.range;
    if (sink && range && Number.isInteger(range[0]) && Number.isInteger(range[1]) && range[1] > range[0]) {
      sink.push([range[0], range[1]]);
    }
  },
  ignore(): void {},
};

const sourceOf = (content: string): Source => ({
  content,
  filePath: undefined,
  ext: "",
  contentType: "text",
});

function isRuleModule(value: unknown): value is RuleModule {
  const v = value as Partial<RuleModule> | null;
  return (
    typeof v === "object" && v !== null && typeof v.create === "function" && typeof v.meta?.id === "string"
  );
}

const PROBE = "mogplex anchor probe";

/**
 * Runs the rule once on a harmless probe with RegExp.prototype.exec observed (every regex builtin goes through
 * it once it is replaced), and derives the rule's anchor from the patterns it applied to the whole text. A
 * rule that applied none, applied one to anything else (a slice, a line), or used a pattern with no provable
 * literal gets no anchor and so runs on every string.
 */
function probeAnchor(file: (source: Source) => unknown): Anchor | null {
  const applied: Array<{ re: RegExp; input: unknown }> = [];
  const exec = RegExp.prototype.exec;
  RegExp.prototype.exec = function (this: RegExp, input: string) {
    applied.push({ re: this, input });
    return exec.call(this, input);
  };
  const previous = sink;
  sink = [];
  try {
    const result = file(sourceOf(PROBE));
    if (result instanceof Promise) return null;
  } catch {
    return null;
  } finally {
    RegExp.prototype.exec = exec;
    sink = previous;
  }
  if (applied.length === 0) return null;
  const literals = new Set<string>();
  for (const { re, input } of applied) {
    if (input !== PROBE) return null;
    const anchor = anchorOf(re);
    if (anchor === null) return null;
    for (const literal of anchor) literals.add(literal);
  }
  return [...literals];
}

function compile(): CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const rule of presetRules as readonly unknown[]) {
    if (!isRuleModule(rule) || EXCLUDED.has(rule.meta.id)) continue;
    if (rule.meta.type !== undefined && rule.meta.type !== "scanner") continue;
    const types = rule.meta.supportedContentTypes ?? ["text"];
    if (!types.includes("text") && !types.includes("all")) continue;
    const handler = rule.create(context, OPTIONS[rule.meta.id] ?? {});
    const file = handler.file;
    if (typeof file !== "function") continue;
    const bound = file.bind(handler);
    out.push({ id: rule.meta.id, file: bound, anchor: probeAnchor(bound) });
  }
  return out;
}

/** The preset's scanning rules, instantiated once, each with the anchor that gates it. */
export const PRESET_RULES: readonly CompiledRule[] = compile();

/**
 * Every range the given preset rules report in `text`. A rule that throws cannot hide a secret from the
 * others; one that answers asynchronously is lost, which `preset.test.ts` guards against.
 */
export function presetRanges(text: string, rules: Iterable<CompiledRule> = PRESET_RULES): Range[] {
  const found: Range[] = [];
  const source = sourceOf(text);
  const previous = sink;
  sink = found;
  try {
    for (const rule of rules) {
      try {
        const result = rule.file(source);
        if (result instanceof Promise) result.catch(() => {});
      } catch {
        // A broken rule must not take the whole sanitiser down; the other rules and patterns still apply.
      }
    }
  } finally {
    sink = previous;
  }
  return found;
}
