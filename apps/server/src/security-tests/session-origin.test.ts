// Origin and Sec-Fetch-Site rules on every browser mutation: only the configured origin may change state with a
// session (a Host header never widens that), a missing Origin needs Sec-Fetch-Site: same-origin, and a
// cross-site fetch is refused whatever its Origin says. The last test proves the route list is complete.
import { ErrorBody } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE, createHarness, type Harness, type TestUser } from "../test-support/harness.js";
import { NOT_SESSION_ROUTES, registeredRoutes } from "../test-support/route-inventory.js";
import {
  type MutationCase,
  type MutationRequest,
  sessionMutationCases,
} from "../test-support/session-mutations.js";

let h: Harness;
let owner: TestUser;
let ownerCookie: string;
let repoId: string;

beforeAll(async () => {
  h = await createHarness({ env: { MOGPLEX_RUN_START_LIMITS: "100000/1m,100000/1h,100000/1d" } });
  owner = await h.user();
  ownerCookie = await h.signIn(owner);
  repoId = await h.repo(owner.teamId);
});
afterAll(async () => {
  await h?.close();
});

/** How the request arrives: its Origin (null = none), Sec-Fetch-Site and, to forge it, the Host it names. */
interface Via {
  origin?: string | null;
  site?: string;
  host?: string;
}

async function send(method: string, req: MutationRequest, via: Via) {
  const headers: Record<string, string> = { ...req.headers };
  if (req.cookie) headers.cookie = req.cookie;
  if (via.origin !== null) headers.origin = via.origin ?? BASE;
  if (via.site) headers["sec-fetch-site"] = via.site;
  if (via.host) headers.host = via.host;
  let body: string | undefined;
  if (req.body !== undefined) {
    body = JSON.stringify(req.body);
    headers["content-type"] = "application/json";
  }
  // Through a real listener the request URL is built from the Host header, so a forged Host moves it too.
  const url = `${via.host ? `http://${via.host}` : BASE}${req.path}`;
  const res = await h.app.request(url, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as unknown, res };
}

const auditRows = async () =>
  Number(
    (
      await h.s.db.db
        .selectFrom("audit_events")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

const CROSS_ORIGIN = /^Cross-origin request refused: only pages served from http:\/\/127\.0\.0\.1:4100 can/;
const NO_ORIGIN = /^Request refused: no Origin header \(send Origin: http:\/\/127\.0\.0\.1:4100/;
const CROSS_SITE = /^Cross-site request refused \(Sec-Fetch-Site: (cross|same)-site\)$/;

const REFUSED: Array<[string, Via, RegExp]> = [
  [
    "a foreign Origin whose Host header is forged to match it",
    { host: "evil.test:4320", origin: "http://evil.test:4320" },
    CROSS_ORIGIN,
  ],
  ["no Origin and no Sec-Fetch-Site", { origin: null }, NO_ORIGIN],
  ["no Origin with Sec-Fetch-Site: none", { origin: null, site: "none" }, NO_ORIGIN],
  ["no Origin with Sec-Fetch-Site: cross-site", { origin: null, site: "cross-site" }, CROSS_SITE],
  ["Sec-Fetch-Site: cross-site with our own Origin", { site: "cross-site" }, CROSS_SITE],
  ["Sec-Fetch-Site: same-site with our own Origin", { site: "same-site" }, CROSS_SITE],
  ["Origin: null", { origin: "null" }, CROSS_ORIGIN],
  ["Origin: null with Sec-Fetch-Site: same-origin", { origin: "null", site: "same-origin" }, CROSS_ORIGIN],
  ["a look-alike Origin", { origin: `${BASE}.evil.example` }, CROSS_ORIGIN],
  ["another port on our host", { origin: "http://127.0.0.1:4101" }, CROSS_ORIGIN],
  ["localhost while a public URL is configured", { origin: "http://localhost:4100" }, CROSS_ORIGIN],
];

const ACCEPTED: Array<[string, Via]> = [
  ["our Origin", {}],
  ["our Origin with Sec-Fetch-Site: same-origin", { site: "same-origin" }],
  ["no Origin with Sec-Fetch-Site: same-origin", { origin: null, site: "same-origin" }],
];

function expectRefused(r: { status: number; body: unknown; res: Response }, message: RegExp) {
  expect({ status: r.status, body: r.body }).toMatchObject({
    status: 403,
    body: { ok: false, error: { code: "FORBIDDEN" } },
  });
  const err = ErrorBody.parse(r.body).error;
  expect(err.message).toMatch(message);
  expect(err.requestId).toBe(r.res.headers.get("x-request-id"));
}

// Built with placeholders so describe.each can name the cases; the real fixtures are read when tests run.
const labels = sessionMutationCases({} as Harness, { teamId: "t" } as TestUser, "", "").map(
  (c) => [c.label, c.label] as const,
);
const caseFor = (label: string): MutationCase => {
  const found = sessionMutationCases(h, owner, ownerCookie, repoId).find((c) => c.label === label);
  if (!found) throw new Error(`no case ${label}`);
  return found;
};

describe.each(labels)("Origin rules on %s", (label) => {
  it.each(REFUSED)("403 for %s, and nothing is written", async (_what, via, message) => {
    const c = caseFor(label);
    const req = await c.prepare();
    const before = await auditRows();
    expectRefused(await send(c.method, req, via), message);
    expect(await auditRows()).toBe(before);
  });

  it.each(ACCEPTED)("accepted with %s", async (_what, via) => {
    const c = caseFor(label);
    const r = await send(c.method, await c.prepare(), via);
    expect(r.status, JSON.stringify(r.body)).toBe(c.ok);
  });
});

describe("the route list", () => {
  it("names every non-GET route the app registers (the session table's mutations and Better Auth's POSTs)", () => {
    const registered = new Set(
      registeredRoutes(h)
        .filter((r) => !["GET", "HEAD", "OPTIONS"].includes(r.method))
        .filter((r) => !NOT_SESSION_ROUTES.some((x) => !x.originRules && x.match(r.method, r.path)))
        .map((r) => `${r.method} ${r.path}`),
    );
    const covered = new Set(
      sessionMutationCases(h, owner, ownerCookie, repoId).map((c) => `${c.method} ${c.pattern}`),
    );
    expect([...registered].filter((r) => !covered.has(r)).sort(), "routes without Origin cases").toEqual([]);
    expect(
      [...covered].filter((c) => !registered.has(c)).sort(),
      "cases for routes that don't exist",
    ).toEqual([]);
    expect(registered.size).toBeGreaterThan(25);
  });
});
