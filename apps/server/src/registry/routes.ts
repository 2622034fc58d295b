// The registry's HTTP surface (/api/v1/registry/* and the well-known key), declared by REGISTRY_ROUTES.
import { REGISTRY_BASE } from "@mogplex/contract";
import type { Hono } from "hono";
import { failure } from "../failure.js";
import { type AppEnv, auditContext } from "../http/types.js";
import type { Services } from "../services.js";
import { baseUrlOf } from "../wiring.js";
import { registryRoute } from "./spec-routes.js";

export function registerRegistryRoutes(app: Hono<AppEnv>, s: Services): void {
  const r = s.registry;
  const base = baseUrlOf(s.config);

  registryRoute(app, s, "searchPackages", async (c, { principal, query }) =>
    c.json({ ok: true, data: await r.catalog.search(principal, query) }),
  );
  registryRoute(app, s, "getPackage", async (c, { principal }) => {
    const name = `${c.req.param("vendor")}/${c.req.param("slug")}`;
    return c.json({ ok: true, data: await r.catalog.detail(principal, name) });
  });
  registryRoute(app, s, "createVendor", async (c, { principal, body }) =>
    c.json(
      { ok: true, data: await r.catalog.createVendor(principal, body, auditContext(c, principal)) },
      201,
    ),
  );
  registryRoute(app, s, "getVendor", async (c) =>
    c.json({ ok: true, data: await r.catalog.getVendor(c.req.param("slug") ?? "") }),
  );
  registryRoute(app, s, "uploadRelease", async (c, { principal, query, raw }) => {
    if (!raw) throw failure("BAD_REQUEST", "A zip archive request body is required");
    return c.json({ ok: true, data: await r.upload(principal, raw, query, auditContext(c, principal)) }, 202);
  });
  registryRoute(app, s, "getRelease", async (c, { principal }) =>
    c.json({ ok: true, data: await r.catalog.release(principal, c.req.param("releaseId") ?? "") }),
  );
  registryRoute(app, s, "createEntitlement", async (c, { principal, body }) => {
    const key = c.req.header("idempotency-key")?.slice(0, 200);
    const got = await r.access.acquire(principal, body.name, auditContext(c, principal), key);
    return c.json({ ok: true, data: got.entitlement }, got.created ? 201 : 200);
  });
  registryRoute(app, s, "listEntitlements", async (c, { principal }) =>
    c.json({ ok: true, data: { entitlements: await r.access.list(principal.userId) } }),
  );
  registryRoute(app, s, "createDownload", async (c, { principal, body }) => {
    const d = await r.access.download(principal, body, auditContext(c, principal));
    const url = `${base}${REGISTRY_BASE}/blobs/${encodeURIComponent(d.releaseId)}?expires=${d.expires}&sig=${d.sig}`;
    c.header("Cache-Control", "no-store");
    return c.json(
      { ok: true, data: { url, expiresAt: new Date(d.expires * 1000).toISOString(), release: d.release } },
      201,
    );
  });
  registryRoute(app, s, "getBlob", async (c, { query }) => {
    const blob = await r.access.blob(
      c.req.param("releaseId") ?? "",
      query.expires,
      query.sig,
      auditContext(c, null),
    );
    const file = `${blob.name.replace("/", "-")}-${blob.version}.zip`;
    return c.body(new Uint8Array(blob.bytes), 200, {
      "Content-Type": "application/zip",
      "Content-Length": String(blob.bytes.length),
      "Content-Disposition": `attachment; filename="${file}"`,
      "Cache-Control": "private, no-store",
    });
  });
  registryRoute(app, s, "getRegistryKey", async (c) => c.json({ ok: true, data: r.publicKey() }));
}
