// Deterministic fake credentials for the sanitiser tests, assembled at run time so no literal token sits in the repo.
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const UPPER_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function fill(alphabet: string, length: number, seed: number): string {
  let out = "";
  for (let index = 0; index < length; index++) {
    out += alphabet[(index * 7 + seed * 13 + 5) % alphabet.length] ?? "x";
  }
  return out;
}

export const alnum = (length: number, seed = 1): string => fill(BASE62, length, seed);
export const upperAlnum = (length: number, seed = 1): string => fill(UPPER_ALNUM, length, seed);
export const hex = (length: number, seed = 1): string => fill("0123456789abcdef", length, seed);

export const fake = {
  mog: (body = 32) => `mog${"_"}${alnum(body, 2)}`,
  pmcp: (body = 32) => `pmcp${"_"}${hex(body, 3)}`,
  sk: (body = 40) => `sk${"-"}${alnum(body, 4)}`,
  skAnt: () => `sk${"-"}ant-api03-${alnum(60, 5)}-${alnum(8, 6)}AA`,
  skProj: () => `sk${"-"}proj-${alnum(48, 7)}_${alnum(20, 8)}`,
  gh: (kind: "p" | "o" | "u" | "s" | "r", body = 36) => `gh${kind}_${alnum(body, 9)}`,
  githubPat: () => `github${"_"}pat_11${upperAlnum(20, 10)}_${alnum(59, 11)}`,
  slack: (kind: "a" | "b" | "p" | "r") => `xox${kind}-${"1234567890"}-${"9876543210"}-${alnum(24, 12)}`,
  aws: (prefix: "AKIA" | "ASIA" = "AKIA", body = 16) => `${prefix}${upperAlnum(body, 13)}`,
  whsec: (body = 32) => `whsec${"_"}${alnum(body, 14)}`,
  pem: (label = "RSA ") =>
    [
      `-----BEGIN ${label}PRIVATE KEY-----`,
      alnum(64, 15),
      alnum(64, 16),
      `${alnum(20, 17)}==`,
      `-----END ${label}PRIVATE KEY-----`,
    ].join("\n"),
};

/** Small seeded PRNG so randomised property tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
