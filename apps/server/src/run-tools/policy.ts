// The team's run tool policy: read by run creation (RunTools.check), set by owners and admins (audited).
import type { RunToolsPolicy } from "@mogplex/contract";
import type { Kysely } from "kysely";
import type { AuditContext, AuditLog } from "../audit/store.js";
import type { DB } from "../db/schema.js";
import { notFound } from "../failure.js";
import { dedupe } from "./names.js";

export async function runToolsPolicy(db: Kysely<DB>, teamId: string): Promise<RunToolsPolicy> {
  const t = await db
    .selectFrom("teams")
    .select("run_tools_policy")
    .where("id", "=", teamId)
    .executeTakeFirst();
  if (!t) throw notFound("Team");
  return { tools: t.run_tools_policy ? (JSON.parse(t.run_tools_policy) as string[]) : null };
}

export async function setRunToolsPolicy(
  db: Kysely<DB>,
  audit: AuditLog,
  teamId: string,
  tools: readonly string[] | null,
  ctx: AuditContext,
): Promise<RunToolsPolicy> {
  const next = tools === null ? null : dedupe(tools);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("teams")
      .set({ run_tools_policy: next === null ? null : JSON.stringify(next) })
      .where("id", "=", teamId)
      .execute();
    await audit.append(trx, ctx, {
      teamId,
      action: "team.run_tools_policy_updated",
      targetType: "team",
      targetId: teamId,
      payload: { tools: next },
    });
  });
  return { tools: next };
}
