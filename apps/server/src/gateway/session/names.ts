// Aggregated names: `<server>__<name>` inside [A-Za-z0-9_-]{1,64}, collisions resolved by a stable rule and reported.
import { createHash } from "node:crypto";

export const MAX_NAME = 64;
const INVALID = /[^A-Za-z0-9_-]/g;

export interface Origin {
  server: string;
  original: string;
}

export interface Collision extends Origin {
  /** The name it would have had, which something earlier in the order already holds. */
  wanted: string;
  exposed: string;
}

export interface NameTable {
  /** exposed name → where it comes from */
  byName: Map<string, Origin>;
  /** `${server}\0${original}` → exposed name */
  byOrigin: Map<string, string>;
  collisions: Collision[];
}

const hash8 = (o: Origin) =>
  createHash("sha256").update(`${o.server}\0${o.original}`).digest("hex").slice(0, 8);
const originKey = (server: string, original: string) => `${server}\0${original}`;

function withSuffix(base: string, o: Origin): string {
  return `${base.slice(0, MAX_NAME - 9)}_${hash8(o)}`;
}

/** The name an item wants before collisions: invalid characters become `_`, and overlong names get a hash tail. */
export function wantedName(o: Origin): string {
  const raw = `${o.server}__${o.original}`.replace(INVALID, "_");
  return raw.length <= MAX_NAME ? raw : withSuffix(raw, o);
}

/**
 * Items are taken in (server, original) byte order, so the outcome depends only on the set: the first keeps
 * its wanted name and a later clash gets a suffix derived from its own origin (not from its position),
 * which stays the same however many other clashes there are.
 */
export function buildNameTable(items: readonly Origin[]): NameTable {
  const sorted = [...items].sort((a, b) =>
    a.server === b.server
      ? a.original < b.original
        ? -1
        : a.original > b.original
          ? 1
          : 0
      : a.server < b.server
        ? -1
        : 1,
  );
  const byName = new Map<string, Origin>();
  const byOrigin = new Map<string, string>();
  const collisions: Collision[] = [];
  for (const o of sorted) {
    if (byOrigin.has(originKey(o.server, o.original))) continue; // a duplicate listing of the same item
    const wanted = wantedName(o);
    let exposed = wanted;
    if (byName.has(exposed)) {
      exposed = withSuffix(wanted, o);
      for (let n = 2; byName.has(exposed); n++) exposed = withSuffix(`${wanted}_${n}`, o);
      collisions.push({ ...o, wanted, exposed });
    }
    byName.set(exposed, o);
    byOrigin.set(originKey(o.server, o.original), exposed);
  }
  return { byName, byOrigin, collisions };
}

export function exposedNameOf(t: NameTable, server: string, original: string): string | undefined {
  return t.byOrigin.get(originKey(server, original));
}

/** A key's tool allowlist names tools as `<server>__<tool>`, by the upstream name or by the exposed one. */
export function toolAllowed(allow: readonly string[] | null, exposed: string, o: Origin): boolean {
  if (allow === null) return true;
  return allow.includes(`${o.server}__${o.original}`) || allow.includes(exposed);
}
