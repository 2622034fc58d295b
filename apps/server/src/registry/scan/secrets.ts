// Secret detection over a package's files, reusing the sanitiser's rules: secretlint's recommended preset
// decides `failed`; what only our broader patterns (or the preset's opt-in key-id rule) see is `flagged`.
import { PAIR_DETECTORS, PEM_DETECTOR, TOKEN_DETECTORS } from "../../sanitize/patterns.js";
import { presetRanges } from "../../sanitize/preset.js";

/** `secret`: the preset found a credential. `possible`: something credential-shaped, not certain. */
export type SecretVerdict = "secret" | "possible" | null;

// An AWS access key id is the public half of a pair (the preset scans ids only as an opt-in, which the
// sanitiser turns on): alone it is flagged, not failed.
const AWS_KEY_ID = /^(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}$/;
const OUR_DETECTORS = [PEM_DETECTOR, ...PAIR_DETECTORS, ...TOKEN_DETECTORS];

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A file's bytes as text for the rules: UTF-8 when they are, else latin1 (one char per byte), so a credential
 * written into a binary an mcp package ships is still seen (the rules match ASCII).
 */
export function textOf(data: Uint8Array): string {
  try {
    return utf8.decode(data);
  } catch {
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1");
  }
}

/** What the rules make of `text`; the matched text itself is never returned. */
export function judgeText(text: string): SecretVerdict {
  let possible = false;
  for (const [start, end] of presetRanges(text)) {
    if (!AWS_KEY_ID.test(text.slice(start, end))) return "secret";
    possible = true;
  }
  if (possible) return "possible";
  return OUR_DETECTORS.some((d) => d.ranges(text).length > 0) ? "possible" : null;
}

/** The stronger of two verdicts. */
export const worse = (a: SecretVerdict, b: SecretVerdict): SecretVerdict =>
  a === "secret" || b === "secret" ? "secret" : (a ?? b);
