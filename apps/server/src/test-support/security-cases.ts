// Shared security cases for one public v1 route (Unkey's common-tests pattern): auth, limits, scope, tenancy, input.
import {
  type ErrorCode,
  missingScopeMessage,
  okEnvelope,
  PUBLIC_BASE,
  PUBLIC_ROUTES,
  type PublicRouteName,
  type RouteSpec,
} from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE, createHarness, FakeClock, type Harness, type TestUser, uniq } from "./harness.js";

import {
  BAD_QUERIES,
  DAY,
  expectEnvelopeError,
  KIND,
  type Kind,
  MIB,
  OVERSIZED,
  parseTerminalStream,
  type Reply,
  type Scope,
  type Send,
  seedTeam,
} from "./security-assert.js";

/** Registers the whole security suite for one public route, over one harness. */
export function securitySuite(name: PublicRouteName): void {
  const spec: RouteSpec = PUBLIC_ROUTES[name];
  const kind = KIND[name];
  const needed = spec.scope as Scope;
  const wrong: Scope = needed === "read" ? "write" : "read";
  const isWrite = spec.method !== "get";

  describe(`security: ${spec.method.toUpperCase()} ${spec.path} (${name})`, () => {
    const clock = new FakeClock();
    let h: Harness;
    let doc: Record<string, unknown>;
    let a: TestUser; // team A owner: the caller
    let aCookie: string;
    let b: TestUser; // team B owner: owns the foreign resources
    const own: Record<Kind, string> = { repo: "", run: "", sandbox: "" };
    const foreign: Record<Kind, string> = { repo: "", run: "", sandbox: "" };

    const tok = async (u: TestUser, scopes: Scope[] = ["read", "write"], expiresInDays?: number) =>
      (await h.pat(u, { scopes, expiresInDays })).token;

    const pathOf = (id: string | undefined, query = "") =>
      `${PUBLIC_BASE}${spec.path.replace("{id}", encodeURIComponent(id ?? (kind ? own[kind] : "")))}${query ? `?${query}` : ""}`;

    /** The route's request; POSTs get a valid body and a fresh Idempotency-Key unless told otherwise. */
    const send = (o: Send = {}): Promise<Reply> => {
      const headers: Record<string, string> = { ...o.headers };
      if (spec.idempotent && o.idempotencyKey !== null)
        headers["idempotency-key"] ??= o.idempotencyKey ?? uniq("k");
      const body =
        o.body !== undefined || o.rawBody !== undefined || !spec.body
          ? o.body
          : { repoId: own.repo, prompt: "security suite" };
      return h.json(spec.method.toUpperCase(), pathOf(o.id, o.query), {
        token: o.token,
        cookie: o.cookie,
        body,
        rawBody: o.rawBody,
        headers,
      });
    };

    const expectError = (r: Reply, status: number, code: ErrorCode, message?: string) =>
      expectEnvelopeError(doc, name, spec, r, status, code, message);

    /** What a write could have changed in team A: to prove a refused request did nothing. */
    const snapshot = async () => ({
      runs: (await h.s.runs.list(a.teamId, { limit: 200 })).runs.map((r) => `${r.id}:${r.status}`),
      sandbox: (await h.s.sandboxes.get(a.teamId, own.sandbox)).status,
    });

    /** Streams a (terminal) run's events to the end and checks every frame. */
    const readStream = async (token: string, id = own.run) => {
      await h.s.runs.cancel(a.teamId, id, { actorType: "system", actorId: null });
      const res = await h.request("GET", pathOf(id), { token });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(res.headers.get("x-request-id")).toBeTruthy();
      return parseTerminalStream(await res.text());
    };

    /** A successful call with the right scope, parsed with the route's own response schema. */
    const happy = async (token: string): Promise<Record<string, unknown>> => {
      if (spec.stream) return { events: await readStream(token) };
      const r = await send({ token });
      expect(r.status, JSON.stringify(r.body)).toBe(spec.successStatus ?? 200);
      expect(r.res.headers.get("x-request-id")).toBeTruthy();
      return okEnvelope(spec.response).parse(r.body).data as Record<string, unknown>;
    };

    beforeAll(async () => {
      h = await createHarness({ clock });
      doc = (await h.json("GET", "/api/v1/openapi.json")).body as Record<string, unknown>;
      a = await h.user();
      b = await h.user();
      aCookie = await h.signIn(a);
      await seedTeam(h, a, own);
      await seedTeam(h, b, foreign);
    });
    afterAll(async () => {
      await h?.close();
    });

    describe("authentication", () => {
      it("401 without an Authorization header", async () => {
        expectError(await send(), 401, "UNAUTHORIZED");
      });

      it.each(["Basic x", "Bearer", "Bearer a b", "Bearer  mog_", "Token mog_x"])(
        "401 for a malformed header: %j",
        async (authorization) => {
          expectError(await send({ headers: { authorization } }), 401, "UNAUTHORIZED");
        },
      );

      it("401 for a well-formed but unknown mog_ token", async () => {
        const unknown = `mog_${uniq("")
          .replace(/[^A-Za-z0-9]/g, "")
          .padEnd(32, "Z")
          .slice(0, 32)}`;
        expect(unknown).toMatch(/^mog_[A-Za-z0-9]{32}$/);
        expectError(await send({ token: unknown }), 401, "UNAUTHORIZED");
      });

      it("401 once the token has expired", async () => {
        const token = await tok(a, ["read", "write"], 1);
        clock.advance(DAY - 1_000);
        expect((await h.json("GET", `${PUBLIC_BASE}/repos`, { token })).status).toBe(200);
        clock.advance(2_000);
        expectError(await send({ token }), 401, "UNAUTHORIZED");
      });

      it("401 on the very next request after revocation through the session route", async () => {
        const { id, token } = await h.pat(a, { scopes: ["read", "write"] });
        expect((await h.json("GET", `${PUBLIC_BASE}/repos`, { token })).status).toBe(200);
        const del = await h.json("DELETE", `/api/settings/api-keys/${id}`, { cookie: aCookie });
        expect(del.status).toBe(200);
        expectError(await send({ token }), 401, "UNAUTHORIZED");
      });

      it("401 for a token whose owner was removed from the team", async () => {
        const m = await h.user({ team: a.team, role: "member" });
        const token = await tok(m);
        expect((await h.json("GET", `${PUBLIC_BASE}/repos`, { token })).status).toBe(200);
        const del = await h.json("DELETE", `/api/teams/${a.teamId}/members/${m.userId}`, { cookie: aCookie });
        expect(del.status).toBe(200);
        expectError(await send({ token }), 401, "UNAUTHORIZED");
      });

      it("401 for a session cookie alone: cookies are ignored on the public API", async () => {
        expectError(await send({ cookie: aCookie }), 401, "UNAUTHORIZED");
      });
    });

    describe("check order", () => {
      it("per-token limit comes before scope: a wrong-scope token is 403 until the window fills, then 429", async () => {
        const token = await tok(a, [wrong]);
        const limit = h.s.rules.pat.limit;
        for (let i = 0; i < limit; i++) expect((await send({ token })).status).toBe(403);
        const over = await send({ token });
        const err = expectError(over, 429, "RATE_LIMITED");
        const secs = Number(over.res.headers.get("retry-after"));
        expect(err.message).toBe(`Rate limit exceeded. Retry after ${secs}s.`);
        // Another token of the same user has its own window.
        expect((await send({ token: await tok(a, [wrong]) })).status).toBe(403);
        clock.advance(h.s.rules.pat.windowMs);
        expect((await send({ token })).status).toBe(403);
      });

      if (isWrite) {
        it("an unauthenticated oversized body is 401, not 413", async () => {
          const r = await send({ rawBody: OVERSIZED, headers: { "content-type": "application/json" } });
          expectError(r, 401, "UNAUTHORIZED");
        });

        it("a read-only token posting malformed JSON or an oversized body gets 403, not 400/413", async () => {
          const token = await tok(a, ["read"]);
          const json = { "content-type": "application/json" };
          expectError(await send({ token, rawBody: "{nope", headers: json }), 403, "FORBIDDEN");
          expectError(await send({ token, rawBody: OVERSIZED, headers: json }), 403, "FORBIDDEN");
          if (spec.idempotent) expectError(await send({ token, idempotencyKey: null }), 403, "FORBIDDEN");
        });
      }
    });

    describe("scope", () => {
      it(`403 with the exact seed message for a token without '${needed}'`, async () => {
        const before = await snapshot();
        const r = await send({ token: await tok(a, [wrong]) });
        expectError(r, 403, "FORBIDDEN", missingScopeMessage(needed));
        expect(await snapshot()).toEqual(before);
        expect(missingScopeMessage(needed)).toBe(
          `Missing required scope: ${needed}. Issue a new token with the '${needed}' scope at /settings/api-keys.`,
        );
      });

      if (isWrite) {
        it("403 for a viewer's read+write token, and nothing changes", async () => {
          const viewer = await h.user({ team: a.team, role: "viewer" });
          const before = await snapshot();
          expectError(await send({ token: await tok(viewer) }), 403, "FORBIDDEN");
          expect(await snapshot()).toEqual(before);
          expect(before.sandbox).toBe("creating");
        });
      } else {
        it("200 for a viewer's read token (viewers may read)", async () => {
          const viewer = await h.user({ team: a.team, role: "viewer" });
          await happy(await tok(viewer, ["read"]));
        });
      }
    });

    if (kind) {
      describe("tenancy", () => {
        it("404 for another team's resource, identical to an unknown id", async () => {
          const token = await tok(a);
          const other = expectError(await send({ token, id: foreign[kind] }), 404, "NOT_FOUND");
          const unknown = expectError(
            await send({ token, id: `x${foreign[kind].slice(1)}` }),
            404,
            "NOT_FOUND",
          );
          expect({ code: other.code, message: other.message }).toEqual({
            code: unknown.code,
            message: unknown.message,
          });
          // The foreign resource is untouched by a write attempt.
          expect((await h.s.runs.get(b.teamId, foreign.run)).status).toBe("pending");
          expect((await h.s.sandboxes.get(b.teamId, foreign.sandbox)).status).toBe("creating");
        });
      });
    } else if (name === "createRun") {
      describe("tenancy", () => {
        it("404 for another team's repoId, identical to an unknown repoId", async () => {
          const token = await tok(a);
          const send2 = (repoId: string) => send({ token, body: { repoId, prompt: "p" } });
          const other = expectError(await send2(foreign.repo), 404, "NOT_FOUND");
          const unknown = expectError(await send2(`x${foreign.repo.slice(1)}`), 404, "NOT_FOUND");
          expect(other.message).toBe(unknown.message);
        });
      });
    } else if (name === "getToken") {
      describe("tenancy", () => {
        it("describes the token that made the request and no other", async () => {
          const token = await tok(a, ["read"], 30);
          await tok(a);
          const data = (await happy(token)) as {
            token: { prefix: string; scopes: string[]; expiresAt: string };
          };
          expect(data.token).toMatchObject({ prefix: token.slice(0, 12), scopes: ["read"] });
          expect(Date.parse(data.token.expiresAt) - clock.now()).toBe(30 * DAY);
          expect(JSON.stringify(data)).not.toContain(token.slice(12));
        });
      });
    } else {
      describe("tenancy", () => {
        it("lists only the caller's team", async () => {
          const data = await happy(await tok(a));
          const ids = JSON.stringify(data);
          for (const id of Object.values(foreign)) expect(ids).not.toContain(id);
          const key = name === "listRepos" ? "repo" : name === "listRuns" ? "run" : "sandbox";
          expect(ids).toContain(own[key]);
        });
      });
    }

    if (isWrite) {
      describe("request body", () => {
        const json = { "content-type": "application/json" };

        it("413 for a body over 1 MiB, with a truthful Content-Length", async () => {
          const r = await send({
            token: await tok(a),
            rawBody: OVERSIZED,
            headers: { ...json, "content-length": String(Buffer.byteLength(OVERSIZED)) },
          });
          expectError(r, 413, "PAYLOAD_TOO_LARGE");
        });

        it("413 for a body over 1 MiB without Content-Length, streamed or understated", async () => {
          const token = await tok(a);
          expectError(await send({ token, rawBody: OVERSIZED, headers: json }), 413, "PAYLOAD_TOO_LARGE");
          const lying = { ...json, "content-length": "20" };
          expectError(await send({ token, rawBody: OVERSIZED, headers: lying }), 413, "PAYLOAD_TOO_LARGE");
          const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
          let sent = 0;
          const stream = new ReadableStream<Uint8Array>({
            pull(ctl) {
              if (sent > MIB + chunk.length) return ctl.close();
              sent += chunk.length;
              ctl.enqueue(chunk);
            },
          });
          const res = await h.app.request(`${BASE}${pathOf(undefined)}`, {
            method: "POST",
            headers: { ...json, authorization: `Bearer ${token}`, "idempotency-key": uniq("k") },
            body: stream,
            duplex: "half",
          } as RequestInit);
          const text = await res.text();
          expectError({ status: res.status, body: JSON.parse(text), res }, 413, "PAYLOAD_TOO_LARGE");
        });

        it("415 for JSON text sent as text/plain", async () => {
          const body = JSON.stringify(spec.body ? { repoId: own.repo, prompt: "p" } : {});
          const r = await send({
            token: await tok(a),
            rawBody: body,
            headers: { "content-type": "text/plain" },
          });
          expectError(r, 415, "UNSUPPORTED_MEDIA_TYPE");
        });

        it("400 for malformed JSON", async () => {
          const r = await send({ token: await tok(a), rawBody: '{"repoId":', headers: json });
          expectError(r, 400, "BAD_REQUEST");
        });

        it("400 for an unknown field", async () => {
          const body = spec.body ? { repoId: own.repo, prompt: "p", surprise: true } : { surprise: true };
          const before = await snapshot();
          const r = await send({ token: await tok(a), body });
          expect(expectError(r, 400, "BAD_REQUEST").message).toContain("surprise");
          expect(await snapshot()).toEqual(before);
        });

        if (spec.idempotent) {
          it("400 `Idempotency-Key is required` without the header, and for a 201-char key", async () => {
            const token = await tok(a);
            const r = await send({ token, idempotencyKey: null });
            expectError(r, 400, "BAD_REQUEST", "Idempotency-Key is required");
            expectError(await send({ token, idempotencyKey: "k".repeat(201) }), 400, "BAD_REQUEST");
            const ok = await send({ token, idempotencyKey: "k".repeat(200) });
            expect(ok.status).toBe(spec.successStatus);
          });

          it("400 for a missing or non-object body", async () => {
            const token = await tok(a);
            for (const rawBody of ["", "[]", "null", '"x"', "{}"]) {
              expectError(await send({ token, rawBody, headers: json }), 400, "BAD_REQUEST");
            }
          });
        }
      });
    }

    const badQueries = BAD_QUERIES[name];
    if (badQueries) {
      describe("query input", () => {
        it.each(badQueries)("400 for ?%s", async (query) => {
          expectError(await send({ token: await tok(a), query }), 400, "BAD_REQUEST");
        });
        if (spec.stream) {
          it("400 for a malformed Last-Event-ID", async () => {
            const r = await send({ token: await tok(a), headers: { "last-event-id": "one" } });
            expectError(r, 400, "BAD_REQUEST");
          });
        }
      });
    }

    describe("happy path", () => {
      it(`${spec.successStatus ?? 200} {ok:true,data} matching the route's response schema`, async () => {
        const data = await happy(await tok(a, [needed]));
        if (name === "cancelRun") expect(data.alreadyTerminal).toBe(false);
        if (name === "stopSandbox") expect(data.alreadyStopped).toBe(false);
        if (name === "createRun") expect(data.replayed).toBe(false);
      });

      it("the documented success status is the one served", () => {
        const paths = doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
        const responses = paths[PUBLIC_BASE + spec.path]?.[spec.method]?.responses ?? {};
        expect(Object.keys(responses)).toContain(String(spec.successStatus ?? 200));
      });
    });
  });
}
