// Per-user run-start budgets (minute, hour, day): shared across tokens, sliding, configurable, exact under races.
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { rulesFrom } from "../services.js";
import { createHarness, FakeClock, type Harness } from "../test-support/harness.js";
import { actor, dataOf, errorOf, startRun } from "./test-support/api.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function retryAfter(res: Response): number {
  const raw = res.headers.get("retry-after") ?? "";
  expect(raw).toMatch(/^\d+$/);
  return Number(raw);
}

async function runCount(userId: string): Promise<number> {
  const rows = await h?.s.db.db.selectFrom("runs").select("id").where("user_id", "=", userId).execute();
  return rows?.length ?? -1;
}

describe("run-start budgets", () => {
  it("defaults to the seed's 10 a minute, 30 an hour and 150 a day", () => {
    expect(rulesFrom(loadConfig({})).runStarts).toEqual([
      { limit: 10, windowMs: MINUTE },
      { limit: 30, windowMs: HOUR },
      { limit: 150, windowMs: DAY },
    ]);
  });

  it("refuses the 11th start in a minute across two tokens of one user, then allows it 61 s later", async () => {
    const clock = new FakeClock();
    h = await createHarness({ clock });
    const a = await actor(h);
    const second = await h.pat(a.user, { name: "second" });
    for (let i = 0; i < 10; i++) {
      const token = i % 2 === 0 ? a.token : second.token;
      expect((await startRun(h, token, { repoId: a.repoId, prompt: `run ${i}` })).status).toBe(202);
      clock.advance(SECOND);
    }
    const over = await startRun(h, second.token, { repoId: a.repoId, prompt: "eleven" });
    expect(over.status).toBe(429);
    expect(errorOf(over.body).code).toBe("RATE_LIMITED");
    // The first start (10 s ago) leaves the minute window first: 50 s from now.
    expect(retryAfter(over.res)).toBe(50);
    expect(await runCount(a.user.userId)).toBe(10);

    // Another user of the same team has their own budget.
    const colleague = await h.user({ team: a.user.team, role: "member" });
    const theirs = await h.pat(colleague);
    expect((await startRun(h, theirs.token, { repoId: a.repoId, prompt: "mine" })).status).toBe(202);

    clock.advance(61 * SECOND);
    expect((await startRun(h, a.token, { repoId: a.repoId, prompt: "eleven" })).status).toBe(202);
  });

  it("is a sliding window: one slot frees as each start ages out", async () => {
    const clock = new FakeClock();
    h = await createHarness({ clock, env: { MOGPLEX_RUN_START_LIMITS: "2/1m,100/1h,100/1d" } });
    const a = await actor(h);
    const start = () => startRun(h as Harness, a.token, { repoId: a.repoId, prompt: "s" });
    expect((await start()).status).toBe(202); // t=0
    clock.advance(40 * SECOND);
    expect((await start()).status).toBe(202); // t=40
    clock.advance(10 * SECOND);
    const denied = await start(); // t=50
    expect(denied.status).toBe(429);
    expect(retryAfter(denied.res)).toBe(10);
    clock.advance(10 * SECOND + 1);
    expect((await start()).status).toBe(202); // t=60.001: the t=0 start has aged out
    const again = await start();
    expect(again.status).toBe(429);
    expect(retryAfter(again.res)).toBe(40); // until the t=40 start ages out
  });

  it("applies the hour and day windows from MOGPLEX_RUN_START_LIMITS", async () => {
    const clock = new FakeClock();
    h = await createHarness({ clock, env: { MOGPLEX_RUN_START_LIMITS: "2/1m,3/1h,4/1d" } });
    const a = await actor(h);
    const start = () => startRun(h as Harness, a.token, { repoId: a.repoId, prompt: "w" });

    expect((await start()).status).toBe(202);
    expect((await start()).status).toBe(202);
    const minute = await start();
    expect(minute.status).toBe(429);
    expect(retryAfter(minute.res)).toBe(60);

    clock.advance(61 * SECOND);
    expect((await start()).status).toBe(202);
    const hour = await start();
    expect(hour.status).toBe(429);
    expect(retryAfter(hour.res)).toBe(3600 - 61);

    clock.advance(HOUR);
    expect((await start()).status).toBe(202);
    const day = await start();
    expect(day.status).toBe(429);
    expect(retryAfter(day.res)).toBe(24 * 3600 - 3661);
    expect(await runCount(a.user.userId)).toBe(4);

    clock.advance(DAY - HOUR);
    expect((await start()).status).toBe(202);
  });

  it("rejects a malformed MOGPLEX_RUN_START_LIMITS naming the variable", () => {
    expect(() => loadConfig({ MOGPLEX_RUN_START_LIMITS: "ten a minute" })).toThrow(
      /MOGPLEX_RUN_START_LIMITS/,
    );
  });

  it("never overshoots: 15 parallel starts against 10 a minute create exactly 10", async () => {
    h = await createHarness({ clock: new FakeClock() });
    const a = await actor(h);
    const second = await h.pat(a.user, { name: "second" });
    const all = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        startRun(h as Harness, i % 2 ? a.token : second.token, { repoId: a.repoId, prompt: `p${i}` }),
      ),
    );
    const statuses = all.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    expect(await runCount(a.user.userId)).toBe(10);
    const ids = new Set(all.filter((r) => r.status === 202).map((r) => dataOf(r.body).run.id));
    expect(ids.size).toBe(10);
  });
});
