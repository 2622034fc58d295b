// TOTP 2FA through Better Auth: enrolment, the two-step sign-in, hashed backup codes, lockout and audit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";
import { hashBackupCode } from "./auth.js";
import { auditRows, cookiesOf, dumpDatabase, storedBackupCodes } from "./test-support/db.js";
import { secretFromUri, totp, wrongCode } from "./test-support/totp.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

interface Enrolled {
  cookie: string;
  secret: string;
  backupCodes: string[];
}

/** Turns 2FA on the way a person does: enable with the password, then confirm a first code. */
async function enrol(u: TestUser): Promise<Enrolled> {
  const cookie = await h.signIn(u);
  const en = await h.json<{ totpURI: string; backupCodes: string[] }>("POST", "/api/auth/two-factor/enable", {
    cookie,
    body: { password: u.password },
  });
  expect(en.status).toBe(200);
  const secret = secretFromUri(en.body.totpURI);
  const v = await h.json("POST", "/api/auth/two-factor/verify-totp", {
    cookie,
    body: { code: totp(secret) },
  });
  expect(v.status).toBe(200);
  return { cookie: cookiesOf(v.res), secret, backupCodes: en.body.backupCodes };
}

/** Password step of a 2FA sign-in: returns the pending-challenge cookie. */
async function passwordStep(u: TestUser): Promise<string> {
  const r = await h.json<Record<string, unknown>>("POST", "/api/auth/sign-in/email", {
    body: { email: u.email, password: u.password },
  });
  expect(r.status).toBe(200);
  expect(r.body.twoFactorRedirect).toBe(true);
  return cookiesOf(r.res);
}

const verifyTotp = (cookie: string, code: string) =>
  h.json<{ code?: string }>("POST", "/api/auth/two-factor/verify-totp", { cookie, body: { code } });
const verifyBackup = (cookie: string, code: string) =>
  h.json<{ code?: string }>("POST", "/api/auth/two-factor/verify-backup-code", { cookie, body: { code } });

describe("two-factor authentication", () => {
  it("needs the password to enable, and is only active after a first code", async () => {
    const u = await h.user();
    const cookie = await h.signIn(u);
    const wrong = await h.json("POST", "/api/auth/two-factor/enable", {
      cookie,
      body: { password: "not-my-password-1" },
    });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    const en = await h.json<{ totpURI: string }>("POST", "/api/auth/two-factor/enable", {
      cookie,
      body: { password: u.password },
    });
    expect(en.status).toBe(200);
    // Not confirmed yet: a password alone still signs in.
    const plain = await h.json<Record<string, unknown>>("POST", "/api/auth/sign-in/email", {
      body: { email: u.email, password: u.password },
    });
    expect(plain.body.twoFactorRedirect).toBeUndefined();
    const secret = secretFromUri(en.body.totpURI);
    const bad = await verifyTotp(cookie, wrongCode(secret));
    expect(bad.status).toBe(401);
    const ok = await verifyTotp(cookie, totp(secret));
    expect(ok.status).toBe(200);
    const user = await h.s.db.db
      .selectFrom("user")
      .select("twoFactorEnabled")
      .where("id", "=", u.userId)
      .executeTakeFirst();
    expect(Boolean(user?.twoFactorEnabled)).toBe(true);
    // The secret is encrypted at rest.
    expect(await dumpDatabase(h)).not.toContain(secret);

    const rows = (await auditRows(h)).filter((r) => r.target_id === u.userId);
    expect(rows.find((r) => r.action === "auth.two_factor_enabled")).toMatchObject({
      actor_id: u.userId,
      team_id: u.teamId,
    });
    expect(rows.find((r) => r.action === "auth.two_factor_failed")).toMatchObject({ actor_id: u.userId });
    // Confirming enrolment is not a sign-in.
    expect(rows.filter((r) => r.action === "auth.sign_in")).toHaveLength(2);
    expect(rows.filter((r) => r.action === "auth.sign_in_failed")).toHaveLength(0);
  });

  it("makes sign-in answer twoFactorRedirect without a session, finished by verify-totp", async () => {
    const u = await h.user();
    const { secret } = await enrol(u);
    const pending = await passwordStep(u);
    expect(pending).not.toContain("mogplex.session_token=");
    expect(pending).toContain("mogplex.two_factor=");
    expect((await h.json("GET", "/api/me", { cookie: pending })).status).toBe(401);
    const done = await verifyTotp(pending, totp(secret));
    expect(done.status).toBe(200);
    const cookie = cookiesOf(done.res);
    expect(cookie).toContain("mogplex.session_token=");
    expect((await h.json("GET", "/api/me", { cookie })).status).toBe(200);

    const rows = (await auditRows(h)).filter((r) => r.target_id === u.userId);
    expect(rows.find((r) => r.action === "auth.second_factor_required")).toMatchObject({
      actor_type: "anonymous",
    });
    expect(rows.filter((r) => r.action === "auth.sign_in").at(-1)?.payload).toMatchObject({
      provider: "credential",
      step: "/two-factor/verify-totp",
    });
  });

  it("accepts a TOTP code for sign-in only once", async () => {
    const u = await h.user();
    const { secret } = await enrol(u);
    const code = totp(secret);
    expect((await verifyTotp(await passwordStep(u), code)).status).toBe(200);
    // Still inside the accepted window, but already spent (an observed or phished code is worthless).
    const replay = await verifyTotp(await passwordStep(u), code);
    expect(replay.status).toBe(401);
    expect(cookiesOf(replay.res)).not.toContain("mogplex.session_token=");
    const rows = (await auditRows(h, "auth.sign_in_failed")).filter((r) => r.target_id === u.userId);
    expect(rows.map((r) => r.payload.reason)).toContain("TOTP_REUSED");
    // Another user's identical code is unaffected.
    const other = await h.user();
    const o = await enrol(other);
    expect((await verifyTotp(await passwordStep(other), totp(o.secret))).status).toBe(200);
  });

  it("returns 10 backup codes, stores only their digests, and each works once", async () => {
    const u = await h.user();
    const { backupCodes } = await enrol(u);
    expect(backupCodes).toHaveLength(10);
    expect(new Set(backupCodes).size).toBe(10);
    const stored = await storedBackupCodes(h, u.userId);
    for (const code of backupCodes) expect(stored).not.toContain(code);
    expect(JSON.parse(stored)).toEqual(backupCodes.map(hashBackupCode));
    const dump = await dumpDatabase(h);
    for (const code of backupCodes) expect(dump).not.toContain(code);

    const first = await verifyBackup(await passwordStep(u), backupCodes[0] as string);
    expect(first.status).toBe(200);
    expect((await h.json("GET", "/api/me", { cookie: cookiesOf(first.res) })).status).toBe(200);
    const replay = await verifyBackup(await passwordStep(u), backupCodes[0] as string);
    expect(replay.status).toBe(401);
    expect(JSON.parse(await storedBackupCodes(h, u.userId))).toHaveLength(9);
    // Submitting the stored digest itself is no better than a wrong code.
    const digest = await verifyBackup(await passwordStep(u), hashBackupCode(backupCodes[1] as string));
    expect(digest.status).toBe(401);
    const form = await h.json("POST", "/api/auth/two-factor/verify-backup-code", {
      cookie: await passwordStep(u),
      rawBody: new URLSearchParams({ code: hashBackupCode(backupCodes[1] as string) }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBeGreaterThanOrEqual(400);
    expect(cookiesOf(form.res)).not.toContain("mogplex.session_token=");
    // The unused code still works afterwards.
    expect((await verifyBackup(await passwordStep(u), backupCodes[1] as string)).status).toBe(200);
  });

  it("locks the account after 5 failures across challenges; a correct code is then refused", async () => {
    const u = await h.user();
    const { secret, backupCodes } = await enrol(u);
    const a = await passwordStep(u);
    for (let i = 0; i < 3; i++) expect((await verifyTotp(a, wrongCode(secret))).status).toBe(401);
    const b = await passwordStep(u);
    for (let i = 0; i < 2; i++) expect((await verifyBackup(b, "wrong-code1")).status).toBe(401);
    const sixth = await verifyTotp(b, totp(secret));
    expect(sixth.status).toBe(429);
    expect(sixth.body.code).toBe("ACCOUNT_TEMPORARILY_LOCKED");
    expect(cookiesOf(sixth.res)).not.toContain("mogplex.session_token=");
    expect((await verifyBackup(await passwordStep(u), backupCodes[0] as string)).status).toBe(429);

    const tf = await h.s.db.db
      .selectFrom("twoFactor")
      .selectAll()
      .where("userId", "=", u.userId)
      .executeTakeFirstOrThrow();
    const lockedFor = new Date(tf.lockedUntil as string | Date).getTime() - Date.now();
    expect(lockedFor).toBeGreaterThan(14 * 60_000);
    expect(lockedFor).toBeLessThanOrEqual(15 * 60_000);

    const failed = (await auditRows(h, "auth.sign_in_failed")).filter((r) => r.target_id === u.userId);
    expect(failed.length).toBeGreaterThanOrEqual(7);
    for (const r of failed) expect(r).toMatchObject({ team_id: u.teamId, actor_type: "anonymous" });
    expect(failed.filter((r) => r.payload.reason === "INVALID_CODE")).toHaveLength(3);
    expect(failed.filter((r) => r.payload.reason === "INVALID_BACKUP_CODE")).toHaveLength(2);
    expect(
      failed.filter((r) => r.payload.reason === "ACCOUNT_TEMPORARILY_LOCKED").length,
    ).toBeGreaterThanOrEqual(2);
    expect(failed.some((r) => r.payload.locked === true)).toBe(true);

    // The lock ends with its 15 minutes (moved back here rather than waited out).
    await h.s.db.db
      .updateTable("twoFactor")
      .set({ lockedUntil: new Date(Date.now() - 1000).toISOString() })
      .where("userId", "=", u.userId)
      .execute();
    expect((await verifyTotp(await passwordStep(u), totp(secret))).status).toBe(200);
  });

  it("resets the failure count on success, so only consecutive failures lock", async () => {
    const u = await h.user();
    const { secret } = await enrol(u);
    // Each round succeeds with a different code of the accepted window (a code is good for one sign-in).
    for (const offset of [0, 30_000]) {
      const c = await passwordStep(u);
      for (let i = 0; i < 4; i++) expect((await verifyTotp(c, wrongCode(secret))).status).toBe(401);
      expect((await verifyTotp(c, totp(secret, Date.now() + offset))).status).toBe(200);
    }
  });

  it("regenerates backup codes (the old ones stop working), audited", async () => {
    const u = await h.user();
    const { cookie, backupCodes: old } = await enrol(u);
    const r = await h.json<{ backupCodes: string[] }>("POST", "/api/auth/two-factor/generate-backup-codes", {
      cookie,
      body: { password: u.password },
    });
    expect(r.status).toBe(200);
    expect(r.body.backupCodes).toHaveLength(10);
    expect(JSON.parse(await storedBackupCodes(h, u.userId))).toEqual(r.body.backupCodes.map(hashBackupCode));
    expect((await verifyBackup(await passwordStep(u), old[0] as string)).status).toBe(401);
    expect((await verifyBackup(await passwordStep(u), r.body.backupCodes[0] as string)).status).toBe(200);
    const rows = (await auditRows(h, "auth.backup_codes_regenerated")).filter(
      (a) => a.target_id === u.userId,
    );
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(r.body.backupCodes[0] as string);
  });

  it("can be turned off with the password, audited", async () => {
    const u = await h.user();
    const { cookie } = await enrol(u);
    const off = await h.json("POST", "/api/auth/two-factor/disable", {
      cookie,
      body: { password: u.password },
    });
    expect(off.status).toBe(200);
    const plain = await h.json<Record<string, unknown>>("POST", "/api/auth/sign-in/email", {
      body: { email: u.email, password: u.password },
    });
    expect(plain.body.twoFactorRedirect).toBeUndefined();
    expect(cookiesOf(plain.res)).toContain("mogplex.session_token=");
    const rows = (await auditRows(h, "auth.two_factor_disabled")).filter((r) => r.target_id === u.userId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: u.userId, team_id: u.teamId });
  });
});
