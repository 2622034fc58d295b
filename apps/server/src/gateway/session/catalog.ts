// One key's view of its upstreams: aggregated, namespaced tools / resources / prompts and the route back to each.

import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { ResolvedServer } from "../../connections/service.js";
import type { Logger } from "../../logger.js";
import type { GatewayPrincipal } from "../auth/keys.js";
import { GatewayError } from "../errors.js";
import type { Item, ListKind, Upstream } from "../upstream/upstream.js";
import { buildNameTable, type Collision, type NameTable, toolAllowed } from "./names.js";

export interface ServerView {
  config: ResolvedServer;
  upstream: Upstream;
}

interface Entry {
  view: ServerView;
  item: Item;
  exposed: string;
}

/** A server left out of a list, and why (short, fixed wording: no upstream text reaches the client). */
export interface Failed {
  server: string;
  reason: string;
}

interface Table {
  entries: Map<string, Entry>;
  collisions: Collision[];
  failed: Failed[];
  /** Every server asked failed: the list would be empty for no reason the client could see. */
  allFailed: boolean;
  complete: boolean; // false when an upstream could not be listed: rebuilt on next use
}

interface ResourceIndex {
  resources: Item[];
  templates: Item[];
  byUri: Map<string, ServerView>;
  templateRoutes: Array<{ template: UriTemplate; view: ServerView }>;
  collisions: Array<{ uri: string; servers: string[] }>;
  failed: Failed[];
  allFailed: boolean;
  complete: boolean;
}

const META_SERVER = "mogplex/server";
const META_NAME = "mogplex/name";
const META_FAILED = "mogplex/failed";

/** What a client is told about an upstream that could not answer a list. */
function reasonOf(view: ServerView, err: unknown): string {
  if (err instanceof GatewayError) {
    if (err.errorClass === "circuit_open") {
      const last = view.upstream.lastFailure?.reason;
      return `paused after repeated failures${last ? ` (last: ${last})` : ""}`;
    }
    return err.reason ?? err.message.charAt(0).toLowerCase() + err.message.slice(1);
  }
  if (err instanceof McpError)
    return err.code === ErrorCode.RequestTimeout ? "timed out" : `answered error ${err.code}`;
  return view.upstream.lastFailure?.reason ?? "unavailable";
}

/** The answer when no server could answer a list: which ones failed, and where to look. */
export function allFailedError(what: string, failed: readonly Failed[]): GatewayError {
  const list = failed.map((f) => `${f.server} (${f.reason})`).join(", ");
  return new GatewayError(
    "upstream_unavailable",
    ErrorCode.InternalError,
    `No MCP server could list its ${what}: ${list}. Each server's last error is on the Connections page ` +
      "(Settings → Connections) and in the Mogplex server log",
  );
}

/** The servers a key may use: "all" means the team-global ones; a list names servers of any scope. */
export function allowedServers(all: readonly ResolvedServer[], p: GatewayPrincipal): ResolvedServer[] {
  if (p.servers === "all") return all.filter((s) => s.scope === "team");
  const names = new Set(p.servers);
  return all.filter((s) => names.has(s.name));
}

export class Catalog {
  private tools: Promise<Table> | undefined;
  private prompts: Promise<Table> | undefined;
  private resources: Promise<ResourceIndex> | undefined;

  constructor(
    readonly views: readonly ServerView[],
    private readonly principal: GatewayPrincipal,
    private readonly logger: Logger,
  ) {}

  serves(serverId: string): boolean {
    return this.views.some((v) => v.config.id === serverId);
  }

  invalidate(kind: ListKind): void {
    if (kind === "tools") this.tools = undefined;
    if (kind === "prompts") this.prompts = undefined;
    if (kind === "resources") this.resources = undefined;
  }

  private async gather(views: readonly ServerView[], method: "tools/list" | "prompts/list") {
    const settled = await Promise.allSettled(views.map((v) => v.upstream.list(method)));
    const failed: Failed[] = [];
    const lists = settled.map((r, i) => {
      if (r.status === "fulfilled") return r.value;
      const view = views[i] as ServerView;
      failed.push({ server: view.config.name, reason: reasonOf(view, r.reason) });
      return [] as Item[];
    });
    if (failed.length > 0) this.logFailed(method, failed, views.length);
    return { lists, failed, complete: failed.length === 0 };
  }

  private logFailed(method: string, failed: readonly Failed[], asked: number): void {
    this.logger.warn(
      { method, failed, asked },
      failed.length === asked
        ? `${method}: no MCP server answered (${failed.map((f) => f.server).join(", ")})`
        : `${method}: left out ${failed.map((f) => f.server).join(", ")}, which failed`,
    );
  }

  private async build(kind: "tools" | "prompts"): Promise<Table> {
    const allow = kind === "tools" ? this.principal.tools : null;
    // With a tool allowlist, servers with nothing allowed are never contacted (no process started for them).
    const views = allow
      ? this.views.filter((v) => allow.some((t) => t.startsWith(`${v.config.name}__`)))
      : this.views;
    const { lists, failed, complete } = await this.gather(
      views,
      kind === "tools" ? "tools/list" : "prompts/list",
    );
    const origins = lists.flatMap((items, i) =>
      items.map((item) => ({ server: views[i]?.config.name ?? "", original: item.name })),
    );
    const table: NameTable = buildNameTable(origins);
    const entries = new Map<string, Entry>();
    lists.forEach((items, i) => {
      const view = views[i] as ServerView;
      for (const item of items) {
        const exposed = table.byOrigin.get(`${view.config.name}\0${item.name}`);
        if (!exposed || entries.has(exposed)) continue;
        if (!toolAllowed(allow, exposed, { server: view.config.name, original: item.name })) continue;
        entries.set(exposed, { view, item, exposed });
      }
    });
    if (table.collisions.length > 0) {
      this.logger.warn(
        { kind, collisions: table.collisions.map((c) => ({ wanted: c.wanted, exposed: c.exposed })) },
        "gateway name collisions",
      );
    }
    return {
      entries,
      collisions: table.collisions.filter((c) => entries.has(c.exposed)),
      failed,
      allFailed: views.length > 0 && failed.length === views.length,
      complete,
    };
  }

  private table(kind: "tools" | "prompts"): Promise<Table> {
    const cur = kind === "tools" ? this.tools : this.prompts;
    if (cur) return cur;
    const next = this.build(kind);
    next.then(
      (t) => {
        if (!t.complete) this.invalidate(kind);
      },
      () => this.invalidate(kind),
    );
    if (kind === "tools") this.tools = next;
    else this.prompts = next;
    return next;
  }

  private listed(t: Table) {
    return [...t.entries.values()].map((e) => ({
      ...e.item,
      name: e.exposed,
      _meta: {
        ...((e.item._meta as object | undefined) ?? {}),
        [META_SERVER]: e.view.config.name,
        [META_NAME]: e.item.name,
      },
    }));
  }

  /** Name collisions and the servers left out (partial lists), in the list result's `_meta`. */
  private listMeta(t: Table) {
    const meta: Record<string, unknown> = {};
    if (t.collisions.length > 0)
      meta["mogplex/collisions"] = t.collisions.map((c) => ({
        server: c.server,
        name: c.original,
        exposedAs: c.exposed,
      }));
    if (t.failed.length > 0) meta[META_FAILED] = t.failed;
    return Object.keys(meta).length === 0 ? {} : { _meta: meta };
  }

  async listTools() {
    const t = await this.table("tools");
    if (t.allFailed) throw allFailedError("tools", t.failed);
    return { tools: this.listed(t), ...this.listMeta(t) };
  }

  async listPrompts() {
    const t = await this.table("prompts");
    if (t.allFailed) throw allFailedError("prompts", t.failed);
    return { prompts: this.listed(t), ...this.listMeta(t) };
  }

  /** Unknown and not-allowed answer the same, so the allowlist can't be probed. */
  async resolve(kind: "tools" | "prompts", exposed: string): Promise<Entry> {
    const table = await this.table(kind);
    const entry = table.entries.get(exposed);
    // Its server could not list: say so, rather than call a tool of a failing server unknown.
    const failed = entry ? undefined : table.failed.find((f) => exposed.startsWith(`${f.server}__`));
    if (failed)
      throw new GatewayError(
        "upstream_unavailable",
        ErrorCode.InternalError,
        `MCP server ${failed.server} is not available (${failed.reason}); its last error is on the Connections page`,
        failed.reason,
      );
    if (!entry)
      throw new GatewayError(
        "not_found",
        ErrorCode.InvalidParams,
        `Unknown ${kind === "tools" ? "tool" : "prompt"}: ${exposed}`,
      );
    return entry;
  }

  private async buildResources(): Promise<ResourceIndex> {
    const views = [...this.views].sort((a, b) => (a.config.name < b.config.name ? -1 : 1));
    const [res, tpl] = await Promise.all([
      Promise.allSettled(views.map((v) => v.upstream.list("resources/list"))),
      Promise.allSettled(views.map((v) => v.upstream.list("resources/templates/list"))),
    ]);
    const idx: ResourceIndex = {
      resources: [],
      templates: [],
      byUri: new Map(),
      templateRoutes: [],
      collisions: [],
      failed: [],
      allFailed: false,
      complete: true,
    };
    views.forEach((view, i) => {
      const r = res[i];
      const t = tpl[i];
      const rejected = r?.status === "rejected" ? r : t?.status === "rejected" ? t : undefined;
      if (rejected) {
        idx.complete = false;
        idx.failed.push({ server: view.config.name, reason: reasonOf(view, rejected.reason) });
      }
      for (const item of r?.status === "fulfilled" ? r.value : []) {
        const uri = String(item.uri ?? "");
        const owner = idx.byUri.get(uri);
        // URIs are kept as the upstream wrote them (clients and links use them); the first server in name
        // order owns a URI two servers share, and the clash is reported.
        if (owner) {
          idx.collisions.push({ uri, servers: [owner.config.name, view.config.name] });
          continue;
        }
        idx.byUri.set(uri, view);
        idx.resources.push({
          ...item,
          name: `${view.config.name}__${item.name}`,
          _meta: { ...((item._meta as object | undefined) ?? {}), [META_SERVER]: view.config.name },
        });
      }
      for (const item of t?.status === "fulfilled" ? t.value : []) {
        try {
          idx.templateRoutes.push({ template: new UriTemplate(String(item.uriTemplate ?? "")), view });
        } catch {
          continue;
        }
        idx.templates.push({
          ...item,
          name: `${view.config.name}__${item.name}`,
          _meta: { ...((item._meta as object | undefined) ?? {}), [META_SERVER]: view.config.name },
        });
      }
    });
    if (idx.collisions.length > 0)
      this.logger.warn({ collisions: idx.collisions }, "gateway resource URI collisions");
    if (idx.failed.length > 0) this.logFailed("resources/list", idx.failed, views.length);
    idx.allFailed = views.length > 0 && idx.failed.length === views.length;
    return idx;
  }

  private resourceIndex(): Promise<ResourceIndex> {
    if (!this.resources) {
      const next = this.buildResources();
      next.then(
        (i) => {
          if (!i.complete) this.resources = undefined;
        },
        () => {
          this.resources = undefined;
        },
      );
      this.resources = next;
    }
    return this.resources;
  }

  async listResources() {
    const idx = await this.resourceIndex();
    if (idx.allFailed) throw allFailedError("resources", idx.failed);
    const meta = {
      ...(idx.collisions.length ? { "mogplex/collisions": idx.collisions } : {}),
      ...(idx.failed.length ? { [META_FAILED]: idx.failed } : {}),
    };
    return { resources: idx.resources, ...(Object.keys(meta).length ? { _meta: meta } : {}) };
  }

  async listResourceTemplates() {
    const idx = await this.resourceIndex();
    if (idx.allFailed) throw allFailedError("resource templates", idx.failed);
    return {
      resourceTemplates: idx.templates,
      ...(idx.failed.length ? { _meta: { [META_FAILED]: idx.failed } } : {}),
    };
  }

  /** The server that serves a URI: a listed resource, else the first template (in server order) that matches. */
  async routeUri(uri: string): Promise<ServerView> {
    let idx = await this.resourceIndex();
    let view = idx.byUri.get(uri) ?? idx.templateRoutes.find((r) => r.template.match(uri) !== null)?.view;
    if (!view) {
      // Resources can appear between lists (a tool just created one): look again once before refusing.
      this.resources = undefined;
      idx = await this.resourceIndex();
      view = idx.byUri.get(uri) ?? idx.templateRoutes.find((r) => r.template.match(uri) !== null)?.view;
    }
    if (!view) throw new GatewayError("not_found", ErrorCode.InvalidParams, "Unknown resource");
    return view;
  }
}
