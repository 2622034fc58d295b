// Our own credential patterns: only formats secretlint's recommended preset lacks (or matches too narrowly to
// rely on), each with the reason. Every detector returns ranges to hide; secrets.ts merges and replaces them.
import { type Anchor, anchorOf } from "./anchors.js";
import type { Range } from "./preset.js";

export interface Detector {
  readonly name: string;
  /** Literals one of which must be present for this detector to find anything; null: always run. */
  readonly anchor: Anchor | null;
  readonly ranges: (text: string) => Range[];
}

// Each pattern is a literal prefix followed by a greedy class run (or a bounded one), so a failed attempt
// costs at most one run and runs don't overlap: the scan stays linear. Runs are greedy over a class that
// includes [A-Za-z0-9], so a match ends at an alphanumeric boundary and a token longer than usual is still
// hidden whole. Lengths are minimums for the same reason.
const ALNUM = /[A-Za-z0-9]/;
const DIGIT = /[0-9]/;
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;
/** Drops a match right after a char of `cls` (a word glued to the token is not the token). */
const after =
  (cls: RegExp) =>
  (text: string, at: number): boolean =>
    at > 0 && cls.test(text[at - 1] as string);

// `skip` stands in for a leading lookbehind: V8 cannot skip ahead to a pattern's literal when a lookbehind comes
// first, which made such a pattern about ten times slower per pass. The check is the same: a match it rejects
// is dropped and the search resumes one char later.
function regexDetector(
  name: string,
  pattern: RegExp,
  o: { range?: (m: RegExpExecArray) => Range; skip?: (text: string, at: number) => boolean } = {},
): Detector {
  return {
    name,
    anchor: anchorOf(pattern),
    ranges(text) {
      const out: Range[] = [];
      pattern.lastIndex = 0;
      for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
        if (o.skip?.(text, m.index)) {
          pattern.lastIndex = m.index + 1;
          continue;
        }
        out.push(o.range ? o.range(m) : [m.index, m.index + m[0].length]);
        if (m[0].length === 0) pattern.lastIndex++;
      }
      return out;
    },
  };
}

const token = (name: string, source: string, flags = "g"): Detector =>
  regexDetector(name, new RegExp(source, flags), { skip: after(ALNUM) });

export const TOKEN_DETECTORS: readonly Detector[] = [
  // Preset: only http(s)/ftp with [-\w] credentials and a dotted host, plus three database schemes, and it
  // skips "placeholder-looking" passwords. Here: any scheme, any userinfo with a colon (`ssh://git@host`
  // names a user, not a secret). Anchoring on "://" keeps the scan linear; the classes exclude "/".
  regexDetector("url-userinfo", /:\/\/[^\s/?#@"'<>`:]*:[^\s/?#@"'<>`]+@/g, {
    range: (m) => [m.index + 3, m.index + m[0].length - 1],
    skip: (text, at) => at === 0 || !SCHEME_CHAR.test(text[at - 1] as string),
  }),
  // Preset: none. At least 8 token chars so prose like "Bearer token" survives.
  regexDetector("bearer", /(bearer)(\s+)[A-Za-z0-9._~+/-]{8,}=*/gi, {
    range: (m) => [m.index + (m[1]?.length ?? 0) + (m[2]?.length ?? 0), m.index + m[0].length],
    skip: after(ALNUM),
  }),
  // Ours: Mogplex PATs and gateway keys. Preset: none.
  token("mogplex-pat", "mog_[A-Za-z0-9]{32,}"),
  token("mogplex-gateway-key", "pmcp_[A-Za-z0-9]{16,}"),
  // Preset: OpenAI only with the T3BlbkFJ marker, Anthropic only as sk-ant-api0N-…AA of 90–128 chars.
  token("sk-key", "sk-[A-Za-z0-9_-]{20,}"),
  // Preset: GitHub tokens of exactly 36 (classic) or 82 (fine-grained) chars; GitHub documents that token
  // lengths may grow, so here they are minimums.
  token("github-token", "gh[pousr]_[A-Za-z0-9]{36,}"),
  token("github-fine-grained", "github_pat_[A-Za-z0-9_]{20,}"),
  // Preset: Slack tokens only as hyphen-separated groups of at most 40 chars each.
  token("slack-token", "xox[abpr]-[A-Za-z0-9-]{10,}"),
  // Preset: key ids only as an opt-in, with \b boundaries and the documentation example exempt.
  token("aws-key-id", "(?:AKIA|ASIA)[A-Z0-9]{16}[A-Za-z0-9]*"),
  // Preset: none of the following formats.
  token("webhook-signing-secret", "whsec_[A-Za-z0-9+/]{16,}={0,2}"),
  token("stripe-key", "(?:sk_live|sk_test|rk_live|rk_test)_[A-Za-z0-9]{10,}"),
  token("google-api-key", "AIza[A-Za-z0-9_-]{30,}"),
  token("mailgun-key", "key-[A-Za-z0-9]{32,}"),
  token("pypi-token", "pypi-[A-Za-z0-9_-]{50,}"),
  token("heroku-token", "HRKU-[A-Za-z0-9_-]{20,}"),
  token("jwt", "eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*"),
  token("discord-webhook", "discord(?:app)?\\.com/api/webhooks/[0-9]+/[A-Za-z0-9_-]+"),
  // Telegram bot tokens: <bot id>:<35-char secret starting with "A">.
  regexDetector("telegram-bot-token", /[0-9]{5,16}:A[A-Za-z0-9_-]{34,}/g, { skip: after(DIGIT) }),
];

// The label is bounded so a failed header match can't backtrack over a long run; PGP's "KEY BLOCK" form counts.
// Preset: only keys with 100+ base64 chars starting with DER or OpenSSH magic, so cut, encrypted or
// placeholder-looking blocks pass; here any block from its header on.
const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;

// Found by hand rather than with a lazy `[\s\S]*?` so an unterminated header costs one scan, not one per header.
// A header with no END (text cut short upstream) is redacted through to the end: the key body follows it.
export const PEM_DETECTOR: Detector = {
  name: "pem-private-key",
  anchor: anchorOf(PEM_BEGIN),
  ranges(text) {
    const out: Range[] = [];
    let cursor = 0;
    for (;;) {
      PEM_BEGIN.lastIndex = cursor;
      const begin = PEM_BEGIN.exec(text);
      if (begin === null) break;
      PEM_END.lastIndex = begin.index + begin[0].length;
      const end = PEM_END.exec(text);
      cursor = end === null ? text.length : end.index + end[0].length;
      out.push([begin.index, cursor]);
      if (end === null) break;
    }
    return out;
  },
};

// The secret half of a credential pair, found by its shape near the public half (within WINDOW chars either
// side). Windows around neighbouring anchors are merged, so each character is scanned at most once.
const WINDOW = 160;

function pairDetector(name: string, idPattern: RegExp, secretPattern: RegExp): Detector {
  return {
    name,
    anchor: anchorOf(idPattern),
    ranges(text) {
      const out: Range[] = [];
      const windows: Array<[number, number]> = [];
      idPattern.lastIndex = 0;
      for (let m = idPattern.exec(text); m !== null; m = idPattern.exec(text)) {
        const from = Math.max(0, m.index - WINDOW);
        const to = Math.min(text.length, m.index + m[0].length + WINDOW);
        const last = windows[windows.length - 1];
        if (last && from <= last[1]) last[1] = Math.max(last[1], to);
        else windows.push([from, to]);
      }
      for (const [from, to] of windows) {
        const slice = text.slice(from, to);
        secretPattern.lastIndex = 0;
        for (let m = secretPattern.exec(slice); m !== null; m = secretPattern.exec(slice)) {
          out.push([from + m.index, from + m.index + m[0].length]);
        }
      }
      return out;
    },
  };
}

export const PAIR_DETECTORS: readonly Detector[] = [
  // An AWS secret access key is 40 base64 chars; next to a key id it is the other half of the credential.
  // (Azure's AccountKey and Twilio's auth token are written under their key names: keyvalue.ts.)
  pairDetector(
    "aws-secret-next-to-key-id",
    /(?:AKIA|ASIA)[A-Z0-9]{16}/g,
    /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
  ),
];
