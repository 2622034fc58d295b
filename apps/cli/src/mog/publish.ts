// `mog publish <dir|zip>`, `mog vendor create` and `mog search`. Publish packs a folder (or checks a zip) with
// the registry's own rules first, uploads it, and waits for the sandboxed scan, with a spinner on a TTY.
import { stat } from "node:fs/promises";
import type { Release } from "@mogplex/contract";
import { inspect, loadArchive, pack } from "@mogplex/pkgfmt";
import type { MogCtx } from "./context.js";
import { MogError } from "./errors.js";
import type { Outcome } from "./run.js";
import { openSession } from "./session.js";

const POLL_MS = 1000;
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const DONE = new Set(["passed", "failed", "flagged", "error"]);

export interface PublishOptions {
  visibility?: string;
  priceCents?: string;
  /** Seconds to wait for the scan (default 600). */
  timeout?: string;
}

export interface PublishDeps {
  sleep(ms: number): Promise<void>;
}

const realDeps: PublishDeps = { sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

async function archiveOf(path: string): Promise<Buffer> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new MogError("USAGE", `${path} does not exist`);
  if (info.isDirectory()) return (await pack(path)).archive;
  const { bytes } = await loadArchive(path);
  // The registry's rules, locally: a package the scanner would refuse fails here, before the upload.
  await inspect(bytes);
  return bytes;
}

export async function publishCommand(
  ctx: MogCtx,
  path: string,
  o: PublishOptions,
  deps = realDeps,
): Promise<Outcome> {
  if (o.visibility && o.visibility !== "public" && o.visibility !== "team")
    throw new MogError("USAGE", "--visibility must be public or team");
  if (o.priceCents !== undefined && !/^\d{1,7}$/.test(o.priceCents))
    throw new MogError("USAGE", "--price-cents must be a whole number of cents");
  const timeoutS = o.timeout === undefined ? 600 : Number(o.timeout);
  if (!Number.isInteger(timeoutS) || timeoutS < 1)
    throw new MogError("USAGE", "--timeout must be a whole number of seconds");
  const zip = await archiveOf(path);
  const { api } = openSession(ctx);
  const up = await api.call("uploadRelease", {
    zip,
    query: { visibility: o.visibility, priceCents: o.priceCents },
  });
  ctx.io.err(`mog: uploaded ${up.name}@${up.version} (release ${up.releaseId}); waiting for the scan…`);
  let release: Release = { ...up, reason: null, sha256: null, publishedAt: null };
  let frame = 0;
  const polls = Math.ceil((timeoutS * 1000) / POLL_MS);
  for (let i = 0; !DONE.has(release.scanStatus); i++) {
    if (i >= polls)
      throw new MogError(
        "SCAN_TIMEOUT",
        `the scan of ${up.name}@${up.version} did not finish in ${timeoutS} s (release ${up.releaseId}, still ${release.scanStatus})`,
        { releaseId: up.releaseId },
      );
    ctx.tty?.status(
      `${FRAMES[frame++ % FRAMES.length]} scanning ${up.name}@${up.version}: ${release.scanStatus}`,
    );
    await deps.sleep(POLL_MS);
    release = await api.call("getRelease", { params: { releaseId: up.releaseId } });
  }
  ctx.tty?.clear();
  const data = {
    releaseId: release.releaseId,
    name: release.name,
    version: release.version,
    scanStatus: release.scanStatus,
    ...(release.reason ? { reason: release.reason } : {}),
  };
  if (release.scanStatus !== "passed")
    throw new MogError(
      "SCAN_FAILED",
      `${release.name}@${release.version} was not published: scan ${release.scanStatus}${release.reason ? ` (${release.reason})` : ""}`,
      data,
    );
  return {
    data,
    lines: [`Published ${release.name}@${release.version} (scan passed, sha256 ${release.sha256})`],
  };
}

export async function vendorCreateCommand(ctx: MogCtx, slug: string, name: string): Promise<Outcome> {
  const { api } = openSession(ctx);
  const v = await api.call("createVendor", { json: { slug, name } });
  return {
    data: v,
    lines: [`Created vendor ${v.slug} (${v.name}); publish packages named ${v.slug}/<slug>`],
  };
}

export async function searchCommand(
  ctx: MogCtx,
  q: string | undefined,
  o: { type?: string; limit?: string; cursor?: string },
): Promise<Outcome> {
  if (o.limit !== undefined && !/^\d{1,3}$/.test(o.limit))
    throw new MogError("USAGE", "--limit must be a number");
  const { api } = openSession(ctx);
  const page = await api.call("searchPackages", {
    query: { q, type: o.type, limit: o.limit, cursor: o.cursor },
  });
  const lines = page.packages.map((p) => {
    const price = p.priceCents ? `$${(p.priceCents / 100).toFixed(2)}` : "free";
    return `${p.name}@${p.latestVersion ?? "-"}  ${p.type}  ${price}${p.visibility === "team" ? "  (team)" : ""}  ${p.description}`;
  });
  if (page.nextCursor) lines.push(`more results: add --cursor ${page.nextCursor}`);
  return { data: page, lines: lines.length ? lines : ["No packages found."] };
}
