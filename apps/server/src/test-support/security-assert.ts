// Fixtures and assertions the public routes' security suite (security-cases.ts) shares: bad inputs per route,
// the error-envelope check (with the OpenAPI document's listing of the code) and the SSE frame check.
import {
  ErrorBody,
  type ErrorCode,
  PUBLIC_BASE,
  type PublicRouteName,
  type RouteSpec,
  RunEvent,
  TERMINAL_EVENT_TYPES,
} from "@mogplex/contract";
import { expect } from "vitest";
import { type Harness, type TestUser, uniq } from "./harness.js";

export type Scope = "read" | "write";
export type Reply = { status: number; body: unknown; res: Response };
export type Kind = "repo" | "run" | "sandbox";
export interface Send {
  token?: string;
  cookie?: string;
  id?: string;
  query?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  idempotencyKey?: string | null;
}

export const DAY = 86_400_000;
export const MIB = 1024 * 1024;
export const OVERSIZED = JSON.stringify({ prompt: "x".repeat(MIB + 16) });

export const KIND: Partial<Record<PublicRouteName, Kind>> = {
  getRepo: "repo",
  getRun: "run",
  cancelRun: "run",
  listRunEvents: "run",
  streamRunEvents: "run",
  getSandbox: "sandbox",
  stopSandbox: "sandbox",
};
export const B64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
export const BAD_CURSORS = ["not a cursor!", B64({ createdAt: "yesterday", id: 1 }), B64([1, 2])];
/** Query strings each read route must refuse with 400 (after auth and scope). */
export const BAD_QUERIES: Partial<Record<PublicRouteName, string[]>> = {
  listRepos: ["limit=abc", "limit=-1", ...BAD_CURSORS.map((c) => `cursor=${encodeURIComponent(c)}`)],
  listRuns: ["limit=abc", "status=bogus", ...BAD_CURSORS.map((c) => `cursor=${encodeURIComponent(c)}`)],
  listSandboxes: ["limit=abc", "status=bogus", ...BAD_CURSORS.map((c) => `cursor=${encodeURIComponent(c)}`)],
  listRunEvents: ["limit=abc", "after=abc", "after=-1"],
  streamRunEvents: ["after=abc"],
};

/** The documented error envelope, with this request's id, and listed by the route's OpenAPI operation. */
export function expectEnvelopeError(
  doc: Record<string, unknown>,
  name: string,
  spec: RouteSpec,
  r: Reply,
  status: number,
  code: ErrorCode,
  message?: string,
) {
  /** Fails unless the route's OpenAPI operation lists this code under this status. */
  const expectDocumented = (status: number, code: ErrorCode) => {
    const paths = doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    const responses = paths[PUBLIC_BASE + spec.path]?.[spec.method]?.responses ?? {};
    const documented = (responses[String(status)] as { "x-error-codes"?: string[] } | undefined)?.[
      "x-error-codes"
    ];
    expect(documented, `${name} must document ${status} ${code}`).toContain(code);
  };

  expect({ status: r.status, body: r.body }).toMatchObject({
    status,
    body: { ok: false, error: { code } },
  });
  const body = ErrorBody.parse(r.body);
  expect(Object.keys(r.body as object).sort()).toEqual(["error", "ok"]);
  for (const k of Object.keys(body.error)) expect(["code", "message", "requestId"]).toContain(k);
  expect(body.error.message.length).toBeGreaterThan(0);
  if (message !== undefined) expect(body.error.message).toBe(message);
  const requestId = r.res.headers.get("x-request-id");
  expect(requestId).toBeTruthy();
  expect(body.error.requestId).toBe(requestId);
  if (status === 401) expect(r.res.headers.get("www-authenticate") ?? "").toMatch(/^Bearer\b/);
  if (status === 429 || status === 503)
    expect(Number(r.res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expectDocumented(status, code);
  return body.error;
}

/** A terminal run's SSE stream: every frame a RunEvent whose id is its sequence number, ending terminal. */
export function parseTerminalStream(text: string) {
  const frames = text.split("\n\n").filter((f) => /^data:/m.test(f));
  const events = frames.map((f) => {
    const lines = f.split("\n");
    const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.replace(/^data: ?/, ""));
    const event = RunEvent.parse(JSON.parse(data.join("\n")));
    // The SSE id is the sequence number, so Last-Event-ID resumes exactly.
    expect(lines).toContain(`id: ${event.seq}`);
    expect(lines).toContain(`event: ${event.type}`);
    return event;
  });
  expect(events.length).toBeGreaterThan(0);
  expect(TERMINAL_EVENT_TYPES).toContain(events[events.length - 1]?.type);
  return events;
}

/** A repo, a run started through the public API, and a sandbox in the user's team. */
export async function seedTeam(h: Harness, u: TestUser, into: Record<Kind, string>): Promise<void> {
  into.repo = await h.repo(u.teamId);
  const r = await h.json<{ data: { run: { id: string } } }>("POST", `${PUBLIC_BASE}/runs`, {
    token: (await h.pat(u, { scopes: ["read", "write"] })).token,
    body: { repoId: into.repo, prompt: "fixture run" },
    headers: { "idempotency-key": uniq("k") },
  });
  expect(r.status).toBe(202);
  into.run = r.body.data.run.id;
  const sb = await h.s.sandboxes.create({
    teamId: u.teamId,
    repoId: into.repo,
    runId: null,
    baseBranch: "main",
    workingBranch: null,
    rootDirectory: "",
  });
  into.sandbox = sb.id;
}
