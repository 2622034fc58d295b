// A size-capped filesystem per sandbox for servers that are not root: a tmpfs mounted in a mount namespace of
// the sandbox's own, held open by one small "keeper" process. Every sandboxed command enters that namespace.
import { type ChildProcess, spawn } from "node:child_process";
import { SandboxUnavailableError } from "./types.js";

// Why this shape: an unprivileged process can mount a tmpfs (with a size cap the kernel enforces: ENOSPC) only
// inside a user + mount namespace it owns. The keeper creates them once, mounts the tmpfs over the sandbox's
// `fs` folder, makes the folders the sandbox binds, says "ready" and then waits on a pipe from the server:
// when the server dies (even by SIGKILL) the pipe reads EOF, the keeper exits and the kernel frees the tmpfs.
// Each command starts as `nsenter … bwrap …`, so bubblewrap binds the tmpfs's folders as if they were host
// paths. The server itself reaches the files through `/proc/<keeper>/root`, which names the keeper's view of
// the file system.
const KEEPER_SCRIPT =
  'mount -t tmpfs -o "size=$2m,mode=0700,nosuid,nodev" mogplex-sandbox "$1" && ' +
  'mkdir -m 0700 "$1/workspace" "$1/tmp" "$1/out" && echo ready && read -r _ <&3';

const TOOLS_HINT = "install util-linux (unshare, nsenter) on the machine running the worker";

export class NamespaceDisk {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  /**
   * @param fs the folder the tmpfs covers (empty on the host; what the sandbox writes never lands there)
   * @param tools where unshare and nsenter are looked up
   */
  constructor(
    readonly fs: string,
    private readonly tools: { unshare: string; nsenter: string },
  ) {}

  /** Starts the keeper and waits until the tmpfs is mounted and laid out. */
  async create(sizeMb: number): Promise<void> {
    const child = spawn(
      this.tools.unshare,
      [
        "--user",
        "--map-root-user",
        "--mount",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        KEEPER_SCRIPT,
        "mogplex-keeper",
        this.fs,
        String(sizeMb),
      ],
      { env: { PATH: "/usr/bin:/bin", LC_ALL: "C" }, cwd: "/", stdio: ["ignore", "pipe", "pipe", "pipe"] },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once("close", () => resolve()));
    (child.stdio[3] as NodeJS.WritableStream | null)?.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      let out = "";
      let err = "";
      child.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("ready\n")) resolve();
      });
      child.stderr?.on("data", (d: Buffer) => {
        if (err.length < 2_000) err += d.toString();
      });
      child.once("error", (e) =>
        reject(new Error(`could not start the sandbox's filesystem: ${e.message}; ${TOOLS_HINT}`)),
      );
      child.once("close", (code) =>
        reject(
          new Error(
            `could not mount the sandbox's size-capped filesystem (${err.trim().slice(-300) || `exit ${code}`}); ` +
              "the server needs unprivileged user and mount namespaces (the same ones bubblewrap uses)",
          ),
        ),
      );
    });
    child.stdout?.resume();
    child.stderr?.resume();
  }

  private pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined || this.child?.exitCode !== null || this.child?.signalCode !== null) {
      throw new SandboxUnavailableError("the sandbox's filesystem is gone (its keeper process exited)");
    }
    return pid;
  }

  /** The command prefix that runs a program inside the keeper's namespaces (as the same host user). */
  enter(): string[] {
    return [
      this.tools.nsenter,
      `--target=${this.pid()}`,
      "--user",
      "--mount",
      "--preserve-credentials",
      "--",
    ];
  }

  /** The server's path to `inside` (a path under `fs` as the sandbox's namespace sees it). */
  hostView(inside: string): string {
    return `/proc/${this.pid()}/root${inside}`;
  }

  /** A path handed out by hostView() turned back into the namespace's own path; other paths unchanged. */
  namespaceView(path: string): string {
    const prefix = `/proc/${this.child?.pid}/root/`;
    return path.startsWith(prefix) ? path.slice(prefix.length - 1) : path;
  }

  /** Ends the keeper; the tmpfs goes once the last command inside has exited. */
  async remove(): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await this.exited;
  }
}
