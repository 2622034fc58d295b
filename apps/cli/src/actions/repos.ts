// `mogplex repos list`.
import type { Repo } from "@mogplex/contract";
import type { Ctx } from "../context.js";
import type { Api } from "./api.js";
import { columns, type ListOptions, parseLimit, printPages } from "./output.js";

export async function reposList(ctx: Ctx, api: Api, o: ListOptions & { q?: string }): Promise<void> {
  const limit = parseLimit(o.limit);
  await printPages<Repo>(
    ctx,
    o,
    async (cursor) => {
      const page = await api.listRepos({ limit, cursor, q: o.q });
      return { items: page.repos, nextCursor: page.nextCursor };
    },
    (r) => columns(r.id, r.fullName, r.defaultBranch),
    "no repos",
  );
}
