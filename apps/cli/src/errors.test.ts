// Exit codes in one place, and how failures are printed (Retry-After, request id, --json).
import { MogplexApiError, MogplexNetworkError, MogplexTransportError } from "@mogplex/client";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  describeError,
  EXIT,
  NotAuthenticatedError,
  reportError,
  UsageError,
} from "./errors.js";

const api = (status: number, code: string, retry?: number) =>
  new MogplexApiError(status, code, `m${status}`, "req_1", retry);

describe("exit codes", () => {
  it("map in one place: 0 ok, 1 error, 2 usage, 64, 65, 69, 75", () => {
    expect(EXIT).toEqual({
      ok: 0,
      error: 1,
      usage: 2,
      unauthenticated: 64,
      forbidden: 65,
      unavailable: 69,
      temporary: 75,
    });
    expect(describeError(api(401, "UNAUTHORIZED")).exitCode).toBe(64);
    expect(describeError(api(403, "FORBIDDEN")).exitCode).toBe(65);
    expect(describeError(api(503, "SERVICE_UNAVAILABLE", 60)).exitCode).toBe(69);
    expect(describeError(api(429, "RATE_LIMITED", 12)).exitCode).toBe(75);
    expect(describeError(api(404, "NOT_FOUND")).exitCode).toBe(1);
    expect(describeError(api(500, "INTERNAL_ERROR")).exitCode).toBe(1);
    expect(describeError(new MogplexNetworkError("cannot reach")).exitCode).toBe(75);
    expect(describeError(new MogplexTransportError("bad body")).exitCode).toBe(1);
    expect(describeError(new UsageError("u")).exitCode).toBe(2);
    expect(describeError(new NotAuthenticatedError("n")).exitCode).toBe(64);
    expect(describeError(new ConfigError("c")).exitCode).toBe(1);
    expect(describeError(new Error("boom")).exitCode).toBe(1);
  });

  it("prints one line, the request id, and Retry-After when the server sent one", () => {
    let out = "";
    reportError(api(429, "RATE_LIMITED", 12), { json: false, write: (s) => (out += s) });
    expect(out).toBe("mogplex: m429 (request req_1)\nRetry-After: 12 s\n");
    out = "";
    reportError(api(404, "NOT_FOUND"), { json: false, write: (s) => (out += s) });
    expect(out).not.toContain("Retry-After");
  });

  it("--json: one JSON object describing the failure", () => {
    let out = "";
    reportError(api(503, "SERVICE_UNAVAILABLE", 60), { json: true, write: (s) => (out += s) });
    expect(JSON.parse(out)).toEqual({
      error: {
        exitCode: 69,
        code: "SERVICE_UNAVAILABLE",
        message: "m503",
        status: 503,
        retryAfterSeconds: 60,
        requestId: "req_1",
      },
    });
  });
});
