// Registration checks for stdio MCP servers: their mounts are allowed, and their command and path-like arguments
// are visible inside the sandbox they will run in (refused with one line naming the mount that fixes it).

import { isAbsolute, resolve } from "node:path";
import type { UpdateConnectionRequest } from "@mogplex/contract";
import type { ConnectionsTable } from "../db/schema.js";
import { badRequest } from "../failure.js";
import { checkMounts, isPackageMount, MountError, unreadableBy } from "../gateway/launch/mounts.js";
import { visibilityProblem } from "../gateway/launch/visibility.js";

export interface StdioPolicy {
  /** false with MOGPLEX_MCP_STDIO_SANDBOX=none: servers run on the host, so nothing is checked for visibility. */
  sandboxed: boolean;
  /** MOGPLEX_MCP_STDIO_MOUNTS: visible in every stdio server's sandbox. */
  operatorMounts: readonly string[];
  /** The data dir and MOGPLEX_HOME: never mounted. */
  privateDirs: readonly string[];
  /** The host uid sandboxed processes run as (a root server's are unprivileged), when a sandbox works here. */
  sandboxUid?: () => Promise<number | null | undefined>;
}

/** Who is registering: the admin command names `--mount` and knows its working directory; the API names `mounts`. */
export interface RegisterOptions {
  flag?: "--mount" | "mounts";
  cwd?: string;
  /** `admin add-mcp-server --package`: its verified package folder in the data dir's package store may be mounted. */
  packages?: boolean;
}

/** Normalised mounts for a stdio server whose command and arguments its sandbox can see; else a 400. */
export function checkStdioServer(
  policy: StdioPolicy,
  server: { command: string; args: readonly string[]; mounts: readonly string[] },
  o: RegisterOptions = {},
  sandboxUid?: number | null,
): string[] {
  const flag = o.flag ?? "mounts";
  let mounts: string[];
  try {
    mounts = checkMounts(server.mounts, policy.privateDirs, { flag, cwd: o.cwd, packages: o.packages });
  } catch (err) {
    if (err instanceof MountError) throw badRequest(err.message);
    throw err;
  }
  // bubblewrap binds a mount as the sandbox's user: one it can't read would fail every start.
  if (policy.sandboxed && typeof sandboxUid === "number" && sandboxUid !== process.getuid?.()) {
    // A package folder is copied into the sandbox's own filesystem by the launcher, not bound from the data dir.
    for (const m of mounts.filter((p) => !isPackageMount(p, policy.privateDirs))) {
      const problem = unreadableBy(m, sandboxUid);
      if (problem) throw badRequest(`${flag} ${problem}`);
    }
  }
  if (!policy.sandboxed) return mounts;
  const problem = visibilityProblem(
    { command: server.command, args: server.args, mounts },
    { operatorMounts: policy.operatorMounts, privateDirs: policy.privateDirs, flag, cwd: o.cwd },
  );
  if (problem) throw badRequest(problem);
  return mounts;
}

/** Whether an update changes what a stdio server runs or can see (mounts compared normalised). */
export function launchChange(cur: ConnectionsTable, req: UpdateConnectionRequest): boolean {
  const mounts = req.mounts && [...new Set(req.mounts.map((m) => (isAbsolute(m) ? resolve(m) : m)))];
  return (
    (req.command !== undefined && req.command !== cur.command) ||
    (req.args !== undefined && JSON.stringify(req.args) !== cur.args) ||
    (mounts !== undefined && JSON.stringify(mounts) !== cur.mounts)
  );
}

/** The connection service's use of the checks: none without a policy (tests of other rooms). */
export class StdioChecks {
  constructor(private readonly policy: StdioPolicy | undefined) {}

  /** The sandbox user's uid, when mounts are to be checked (asked before a transaction: it may probe). */
  async uid(needed: boolean): Promise<number | null | undefined> {
    return needed ? this.policy?.sandboxUid?.().catch(() => undefined) : undefined;
  }

  /** Normalised mounts once the server's command, arguments and mounts pass the sandbox checks. */
  check(
    server: { command: string | null; args: readonly string[]; mounts: readonly string[] },
    o: RegisterOptions,
    uid: number | null | undefined,
  ): string[] {
    if (!server.command || !this.policy) return [...server.mounts];
    return checkStdioServer(this.policy, { ...server, command: server.command }, o, uid);
  }
}
