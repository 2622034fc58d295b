// The registry's session routes (the web app): REGISTRY_SESSION_ROUTES in the contract. Thin handlers over the
// registry's own services (catalog, uploads, access); the team is the active one the app sends.
import type { UploadQuery } from "@mogplex/contract";
import type { Hono } from "hono";
import { sessionRoute } from "../../http/session-route.js";
import { type AppEnv, auditContext } from "../../http/types.js";
import type { Services } from "../../services.js";
import { vendorOut } from "../rows.js";
import { uploadTier, zipBody } from "../upload-body.js";
import { MAX_UPLOAD_BYTES } from "../uploads.js";

export function registerRegistryWebRoutes(app: Hono<AppEnv>, s: Services): void {
  const r = s.registry;

  sessionRoute(app, s, "webRegistrySearch", async (c, { team, query }) =>
    c.json(await r.catalog.search(team, query)),
  );

  sessionRoute(app, s, "webRegistryPackage", async (c, { team }) => {
    const name = `${c.req.param("vendor")}/${c.req.param("slug")}`;
    return c.json({ listing: await r.catalog.detail(team, name) });
  });

  sessionRoute(app, s, "webRegistryRelease", async (c, { team }) =>
    c.json({ release: await r.catalog.release(team, c.req.param("releaseId") ?? "") }),
  );

  sessionRoute(app, s, "webRegistryVendor", async (c, { team }) => {
    const row = await s.db.db
      .selectFrom("registry_vendors")
      .selectAll()
      .where("team_id", "=", team.teamId)
      .executeTakeFirst();
    return c.json({ vendor: row ? vendorOut(row) : null });
  });

  sessionRoute(app, s, "webCreateVendor", async (c, { principal, team, body }) =>
    c.json({ vendor: await r.catalog.createVendor(team, body, auditContext(c, principal)) }, 201),
  );

  sessionRoute(app, s, "webUploadRelease", async (c, { principal, team, query }) => {
    await uploadTier(s, principal.userId);
    const bytes = await zipBody(c, "application/zip", MAX_UPLOAD_BYTES);
    const release = await r.upload(team, bytes, query as UploadQuery, auditContext(c, principal));
    return c.json({ release }, 202);
  });

  sessionRoute(app, s, "webListEntitlements", async (c, { principal }) =>
    c.json({ entitlements: await r.access.list(principal.userId) }),
  );

  sessionRoute(app, s, "webAcquire", async (c, { principal, team, body }) => {
    // A browser session has no token, so no spend policy to charge under: Access refuses a priced listing
    // (the vendor team's own are free) at the moment of purchase, whatever the price was when the page loaded.
    const got = await r.access.acquire(
      { userId: principal.userId, teamId: team.teamId, tokenId: null },
      body.name,
      auditContext(c, principal),
    );
    return c.json({ entitlement: got.entitlement }, got.created ? 201 : 200);
  });
}
