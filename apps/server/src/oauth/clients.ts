// Better Auth's client and token rows, from our side: revoking a person's tokens for some clients (a grant
// revoked, a member leaving) and deleting registered clients that never obtained a token.
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { withOAuth } from "./tables.js";

/** Revokes every live access and refresh token of `userId` for these clients. */
export async function revokeTokens(
  dbIn: Kysely<DB>,
  userId: string,
  clientIds: string[],
  now: number,
): Promise<void> {
  if (clientIds.length === 0) return;
  const db = withOAuth(dbIn);
  // ISO text: what Better Auth writes on SQLite, and what timestamptz accepts on PostgreSQL.
  const at = new Date(now).toISOString();
  for (const t of ["oauthAccessToken", "oauthRefreshToken"] as const)
    await db
      .updateTable(t)
      .set({ revoked: at })
      .where("userId", "=", userId)
      .where("clientId", "in", clientIds)
      .where("revoked", "is", null)
      .execute();
}

/** Dynamically registered clients that never obtained a token, older than `olderThan`, are deleted. */
export async function purgeUnusedClients(dbIn: Kysely<DB>, olderThan: number): Promise<number> {
  const db = withOAuth(dbIn);
  const cutoff = new Date(olderThan).toISOString();
  const stale = await db
    .selectFrom("oauthClient as c")
    .select("c.clientId")
    .where("c.createdAt", "<", cutoff)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom("oauthRefreshToken as r").select("r.id").whereRef("r.clientId", "=", "c.clientId"),
        ),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom("oauthAccessToken as a").select("a.id").whereRef("a.clientId", "=", "c.clientId"),
        ),
      ),
    )
    .execute();
  if (stale.length === 0) return 0;
  await db
    .deleteFrom("oauthClient")
    .where(
      "clientId",
      "in",
      stale.map((s) => s.clientId),
    )
    .execute();
  return stale.length;
}
