// MOGPLEX_PREVIEW_URL: where previews are served, each sandbox on a host of its own (sandboxes/preview-host/).
// A template with `{id}` in its host, e.g. https://{id}.preview.example.net; unset, previews are served on loopback
// at http://{id}.preview.localhost:<port> (the port the member reached the control plane on).

/** A parsed template: a preview's host is `prefix + sandboxId + suffix` (lowercase; the suffix may carry a port). */
export interface PreviewTemplate {
  scheme: "http" | "https";
  prefix: string;
  suffix: string;
}

// A valid DNS label standing in for `{id}` while the URL parser checks the rest.
const MARK = "mogplexpreviewid0";
/** A sandbox id as it appears in a host: one DNS label (sandbox ids are lowercase UUIDs). */
export const HOST_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DEFAULT_SUFFIX = ".preview.localhost";

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return (
    h === "localhost" ||
    h.endsWith(".localhost") ||
    h === "[::1]" ||
    h === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(h)
  );
}

/** Parses and checks the template; the returned string says what is wrong (startup refuses it). */
export function parsePreviewTemplate(raw: string): PreviewTemplate | string {
  if ((raw.match(/\{id\}/g) ?? []).length !== 1) return "must contain {id} exactly once, in its host";
  let url: URL;
  try {
    url = new URL(raw.replace("{id}", MARK));
  } catch {
    return "not a URL (expected e.g. https://{id}.preview.example.net)";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http:// or https:// URL";
  if (url.username || url.password) return "must not carry credentials";
  const host = url.host.toLowerCase();
  const at = host.indexOf(MARK);
  if (at < 0 || url.hostname.indexOf(MARK) < 0) return "{id} must be in the host part";
  const label = url.hostname.split(".").find((l) => l.includes(MARK));
  if (label !== MARK) return "{id} must be a whole label of the host (e.g. {id}.preview.example.net)";
  if (url.pathname !== "/" || url.search || url.hash)
    return "must be an origin only (no path, query or fragment)";
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    return "http:// is only for loopback hosts (*.localhost); use https:// for anything reachable from elsewhere";
  }
  return {
    scheme: url.protocol === "https:" ? "https" : "http",
    prefix: host.slice(0, at),
    suffix: host.slice(at + MARK.length),
  };
}

/** The sandbox id a Host header names under the template (or the loopback default); null = not a preview host. */
export function previewIdOfHost(host: string | undefined, t: PreviewTemplate | null): string | null {
  if (!host) return null;
  const h = host.toLowerCase();
  let id: string;
  if (t) {
    if (!h.startsWith(t.prefix) || !h.endsWith(t.suffix) || h.length <= t.prefix.length + t.suffix.length)
      return null;
    id = h.slice(t.prefix.length, h.length - t.suffix.length);
  } else {
    const name = h.replace(/:\d{1,5}$/, "");
    if (!name.endsWith(DEFAULT_SUFFIX)) return null;
    id = name.slice(0, -DEFAULT_SUFFIX.length);
  }
  return HOST_ID.test(id) ? id : null;
}

/**
 * The origin a sandbox's preview is served at. Without a template, only for a member who reached the control plane
 * on a loopback host (their browser is on this machine): the same port, under *.preview.localhost. Null otherwise.
 */
export function previewOrigin(sandboxId: string, t: PreviewTemplate | null, controlUrl: URL): string | null {
  if (t) return `${t.scheme}://${t.prefix}${sandboxId}${t.suffix}`;
  if (!isLoopbackHost(controlUrl.hostname) || controlUrl.protocol !== "http:") return null;
  return `http://${sandboxId}${DEFAULT_SUFFIX}${controlUrl.port ? `:${controlUrl.port}` : ""}`;
}
