// A size-capped filesystem per sandbox for root servers: a sparse ext4 image on the data dir's disk, loop-mounted.
import { execFile } from "node:child_process";
import {
  chmodSync,
  chownSync,
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
} from "node:fs";
import { dirname, join } from "node:path";

// Why a filesystem and not accounting: the kernel stops writes at the image's size (ENOSPC) whatever the
// sandbox does, and a sparse image takes only the blocks written. No journal: the image is thrown away with
// the sandbox, so crash consistency buys nothing and the journal would take part of a small cap. `discard`
// hands freed blocks back to the data dir's disk while the sandbox lives; `noinit_itable` keeps the kernel from
// zeroing inode tables in the background (writing real blocks into the sparse image for nothing).
const TOOLS_HINT = "install e2fsprogs and util-linux (mkfs.ext4, mount) on the machine running the worker";

export interface HostIds {
  uid: number;
  gid: number;
}

function run(cmd: string, args: string[], hostPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: { PATH: hostPath, LC_ALL: "C" }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${(stderr || err.message).trim().slice(-300)}`));
      else resolve(stdout);
    });
  });
}

interface Mounted {
  mountPoint: string;
  /** The mount's source, e.g. /dev/loop3. */
  source: string;
}

/** The mounts directly under `base` that the kernel lists (so a sweep finds what a dead worker left mounted). */
export function mountedUnder(base: string): Mounted[] {
  let text = "";
  try {
    text = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const out: Mounted[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const mountPoint = fields[4]?.replace(/\\040/g, " ") ?? "";
    if (dirname(mountPoint) !== base) continue;
    // After the optional fields, " - " then filesystem type and source.
    const dash = fields.indexOf("-");
    out.push({ mountPoint, source: dash > 0 ? (fields[dash + 2] ?? "") : "" });
  }
  return out;
}

/**
 * Sandbox filesystems whose image file is gone: what a worker killed mid-run left mounted after its sandbox
 * directory was removed (the loop device still holds the deleted image). Nobody can use them again.
 */
export function orphanedMounts(base: string): string[] {
  return mountedUnder(base)
    .filter((m) => {
      const loop = /^\/dev\/(loop\d+)$/.exec(m.source)?.[1];
      if (!loop) return false;
      try {
        return readFileSync(`/sys/block/${loop}/loop/backing_file`, "utf8").trim().endsWith("(deleted)");
      } catch {
        return false;
      }
    })
    .map((m) => m.mountPoint);
}

export class SandboxDisk {
  constructor(
    readonly image: string,
    readonly mountPoint: string,
    private readonly hostPath: string,
  ) {}

  /** Creates the image, mounts it, and lays out the directories the sandbox user owns. */
  async create(sizeMb: number, dirs: ReadonlyArray<{ name: string; owner: HostIds }>): Promise<void> {
    const fd = openSync(this.image, "wx", 0o600);
    try {
      ftruncateSync(fd, sizeMb * 1024 * 1024);
    } finally {
      closeSync(fd);
    }
    await run(
      "mkfs.ext4",
      ["-q", "-F", "-m", "0", "-O", "^has_journal", "-E", "root_owner=0:0,nodiscard", this.image],
      this.hostPath,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; ${TOOLS_HINT}`);
    });
    mkdirSync(this.mountPoint, { recursive: true, mode: 0o700 });
    await run(
      "mount",
      ["-t", "ext4", "-o", "loop,nosuid,nodev,noatime,discard,noinit_itable", this.image, this.mountPoint],
      this.hostPath,
    );
    // The filesystem's root: traversable (bwrap runs as the sandbox user and must reach the directories
    // below), not listable, owned by root so the sandbox user can't rename what the engine relies on.
    chmodSync(this.mountPoint, 0o711);
    for (const d of dirs) {
      const p = join(this.mountPoint, d.name);
      mkdirSync(p, { mode: 0o700 });
      chownSync(p, d.owner.uid, d.owner.gid);
    }
  }

  /** Unmounts (lazily if something still holds it) and removes the mount point; the image goes with its dir. */
  async remove(): Promise<void> {
    await unmount(this.mountPoint, this.hostPath);
  }
}

export async function unmount(mountPoint: string, hostPath: string): Promise<void> {
  if (mountedUnder(dirname(mountPoint)).some((m) => m.mountPoint === mountPoint)) {
    await run("umount", [mountPoint], hostPath).catch(() => run("umount", ["-l", mountPoint], hostPath));
  }
  try {
    rmdirSync(mountPoint);
  } catch {
    // never created, or already gone
  }
}
