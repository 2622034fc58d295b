// Team tools in runs: the tools a run may call, the team's policy of which tools runs may ask for, the run a
// gateway request-log row was made for, and the HTTP methods a REST connection allows.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  // JSON array of RunToolName; null = no team tools.
  await db.schema.alterTable("runs").addColumn("tools", "text").execute();
  // JSON array of patterns (`server__tool`, `server__*`, `rest:name`) runs may request; null = any the starter can call.
  await db.schema.alterTable("teams").addColumn("run_tools_policy", "text").execute();
  await db.schema.alterTable("gateway_requests").addColumn("run_id", "text").execute();
  // JSON array of HTTP methods a run's http_request may use on a rest connection; null = GET and HEAD only.
  await db.schema.alterTable("connections").addColumn("methods", "text").execute();
}
