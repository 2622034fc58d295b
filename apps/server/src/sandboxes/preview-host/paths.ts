// Paths a preview hand-off may carry, and the dev server's own redirects as seen from its preview host.

/** Where the preview host redeems a hand-off code; reserved on every preview host (never reaches the dev server). */
export const HANDOFF_PATH = "/.mogplex/handoff";

/**
 * A path on the preview host to land on after the hand-off: same-origin and relative only ("/x?y"), never
 * "//host" or "/\\host" (both leave the origin in a browser), never control or non-ASCII characters.
 */
export function safeLandingPath(p: unknown): p is string {
  return (
    typeof p === "string" &&
    p.length <= 2048 &&
    /^\/(?![/\\])[\x21-\x7e]*$/.test(p) &&
    !p.includes("\\") &&
    !p.startsWith(HANDOFF_PATH)
  );
}

/** A redirect of the dev server's to itself (http://localhost:<port>/x) stays on the preview host ("/x"). */
export function rewriteLocation(location: string, port: number): string {
  try {
    const u = new URL(location);
    if (["localhost", "127.0.0.1", "[::1]"].includes(u.hostname) && Number(u.port || 80) === port) {
      return `${u.pathname}${u.search}${u.hash}`;
    }
  } catch {
    // relative: the browser resolves it against the preview host
  }
  return location;
}
