// Per-credential network allowlists (CIDR lists on PATs and gateway keys): compiled once, checked per request.
import { BlockList, isIP } from "node:net";
import type { CompiledAllowlist } from "@mogplex/contract";
import { badRequest } from "../failure.js";

/** The compiled list a principal carries (defined in the contract beside the principals). */
export type IpAllowlist = CompiledAllowlist;

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;
const compiled = new Map<string, IpAllowlist>();

/** Throws on an entry the contract's shape check let through but the address parser refuses (IPv6 details). */
export function compileAllowlist(entries: readonly string[]): IpAllowlist {
  const list = new BlockList();
  for (const entry of entries) {
    const [ip = "", bits] = entry.split("/");
    const family = isIP(ip);
    if (family === 0) throw new Error(`not an IP address: ${entry}`);
    const type = family === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return {
    entries: [...entries],
    allows(ip: string) {
      const mapped = MAPPED_V4.exec(ip)?.[1];
      const addr = mapped ?? ip;
      const family = isIP(addr);
      if (family === 0) return false;
      return list.check(addr, family === 4 ? "ipv4" : "ipv6");
    },
  };
}

/** From the stored JSON column (null = no allowlist); compiled lists are shared across requests. */
export function storedAllowlist(json: string | null): IpAllowlist | null {
  if (json === null) return null;
  let hit = compiled.get(json);
  if (!hit) {
    hit = compileAllowlist(JSON.parse(json) as string[]);
    if (compiled.size >= 1_000) compiled.clear();
    compiled.set(json, hit);
  }
  return hit;
}

/** Validates a requested list for storage: the JSON to store, or null when none was given (400 when bad). */
export function allowlistOrThrow(entries: readonly string[] | undefined): string | null {
  if (!entries) return null;
  const unique = [...new Set(entries)];
  try {
    compileAllowlist(unique);
  } catch {
    throw badRequest("ipAllowlist entries must be IP addresses or CIDR ranges");
  }
  return JSON.stringify(unique);
}
