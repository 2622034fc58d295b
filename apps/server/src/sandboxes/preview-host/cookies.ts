// The preview host's cookie, and keeping Mogplex's cookies apart from a dev server's: names starting with
// "mogplex" (ours here, Better Auth's "mogplex.*" on the control plane) are reserved on preview hosts.
import type { PreviewTemplate } from "../../config/preview.js";

const BASE_NAME = "mogplex_preview";
// "mogplex…", with or without the __Host- / __Secure- prefixes browsers give special meaning to.
const RESERVED = /^(__host-|__secure-)?mogplex/i;

/** Over https the __Host- prefix makes the browser refuse a planted Domain= or insecure copy. */
export function previewCookieName(t: PreviewTemplate | null): string {
  return t?.scheme === "https" ? `__Host-${BASE_NAME}` : BASE_NAME;
}

export function previewCookie(t: PreviewTemplate | null, value: string, maxAgeMs: number): string {
  const secure = t?.scheme === "https" ? "; Secure" : "";
  const maxAge = Math.max(0, Math.floor(maxAgeMs / 1000));
  return `${previewCookieName(t)}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`;
}

function pairs(header: string | undefined): [string, string][] {
  if (!header) return [];
  return header.split(";").flatMap((part) => {
    const at = part.indexOf("=");
    if (at < 0) return [];
    return [[part.slice(0, at).trim(), part.slice(at + 1).trim()] as [string, string]];
  });
}

/** Every value of our cookie the browser sent (a preview's script may have planted more under the parent domain). */
export function previewTokens(header: string | undefined, t: PreviewTemplate | null): string[] {
  const name = previewCookieName(t);
  return pairs(header)
    .filter(([k, v]) => k === name && /^[A-Za-z0-9]{20,100}$/.test(v))
    .map(([, v]) => v)
    .slice(0, 4);
}

/** The Cookie header the dev server gets: its own cookies only. */
export function forwardedCookies(header: string | undefined): string | undefined {
  const kept = pairs(header).filter(([k]) => !RESERVED.test(k));
  return kept.length > 0 ? kept.map(([k, v]) => `${k}=${v}`).join("; ") : undefined;
}

/** The dev server's Set-Cookie lines the browser may get: any but a reserved name. */
export function returnedSetCookies(lines: string[] | undefined): string[] {
  return (lines ?? []).filter((line) => {
    const name = line.slice(0, Math.max(0, line.indexOf("="))).trim();
    return name !== "" && !RESERVED.test(name);
  });
}
