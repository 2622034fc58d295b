// A small history-API router: current location as a hook, navigate(), and <Link> as a real <a href>.
import { type AnchorHTMLAttributes, type MouseEvent, type ReactNode, useSyncExternalStore } from "react";

export interface Location {
  path: string;
  search: URLSearchParams;
  hash: string;
  state: unknown;
  key: string;
  /** Counts navigations, except in-page ones (`keep`); a page remounts, fresh, when it changes. */
  visit: number;
}

const listeners = new Set<() => void>();
let visits = 0;
let snapshot: Location = read();

function read(): Location {
  return {
    path: window.location.pathname,
    search: new URLSearchParams(window.location.search),
    hash: window.location.hash,
    state: window.history.state,
    key: `${window.location.pathname}${window.location.search}${window.location.hash}:${Math.random()}`,
    visit: visits,
  };
}

function changed(): void {
  snapshot = read();
  for (const l of listeners) l();
}

window.addEventListener("popstate", () => {
  visits++;
  changed();
});

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useLocation(): Location {
  return useSyncExternalStore(subscribe, () => snapshot);
}

/** Goes to `to`; `keep` marks an in-page change (a filter) that must not reset the page or move focus. */
export function navigate(to: string, o: { replace?: boolean; state?: unknown; keep?: boolean } = {}): void {
  if (!o.keep) visits++;
  if (o.replace) window.history.replaceState(o.state ?? null, "", to);
  else window.history.pushState(o.state ?? null, "", to);
  if (!o.keep) window.scrollTo(0, 0);
  changed();
}

/** A local path we may send someone to after sign-in: same origin, never `//host` or a scheme. */
export function safeNext(raw: string | null): string | null {
  if (!raw?.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return null;
  try {
    const u = new URL(raw, window.location.origin);
    return u.origin === window.location.origin ? `${u.pathname}${u.search}${u.hash}` : null;
  } catch {
    return null;
  }
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, "href"> & { to: string; children: ReactNode };

export function Link({ to, children, onClick, ...rest }: LinkProps) {
  const go = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={go} {...rest}>
      {children}
    </a>
  );
}

/** Matches `/runs/:id` style patterns; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const a = path.split("/").filter(Boolean);
  if (p.length !== a.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] as string;
    const val = a[i] as string;
    if (seg.startsWith(":")) out[seg.slice(1)] = decodeURIComponent(val);
    else if (seg !== val) return null;
  }
  return out;
}
