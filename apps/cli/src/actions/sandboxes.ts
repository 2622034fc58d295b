// `mogplex sandboxes list | stop <id>`.
import type { Sandbox } from "@mogplex/contract";
import type { Ctx } from "../context.js";
import type { Api } from "./api.js";
import { columns, type ListOptions, parseLimit, printPages } from "./output.js";

export async function sandboxesList(
  ctx: Ctx,
  api: Api,
  o: ListOptions & { repo?: string; status?: string },
): Promise<void> {
  const limit = parseLimit(o.limit);
  await printPages<Sandbox>(
    ctx,
    o,
    async (cursor) => {
      const page = await api.listSandboxes({ limit, cursor, repoId: o.repo, status: o.status });
      return { items: page.sandboxes, nextCursor: page.nextCursor };
    },
    (s) => columns(s.id, s.status, s.repoId, s.workingBranch, s.previewUrl),
    "no sandboxes",
  );
}

export async function sandboxStop(ctx: Ctx, api: Api, id: string, o: { json?: boolean }): Promise<void> {
  const { sandbox, alreadyStopped } = await api.stopSandbox(id);
  ctx.log.write("sandbox.stop", { sandboxId: sandbox.id, alreadyStopped });
  if (o.json) ctx.io.json({ sandbox, alreadyStopped });
  else
    ctx.io.out(
      alreadyStopped ? `sandbox ${sandbox.id} was already stopped` : `stopped sandbox ${sandbox.id}`,
    );
}
