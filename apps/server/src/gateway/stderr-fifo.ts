// A sandboxed stdio server's stderr, read by the host through a FIFO in the sandbox's own /tmp. The provider's
// open() drains and drops stderr; the server's script redirects it here instead, and the host keeps a tail.
//
// Safety: the FIFO is made and opened by the host before any sandboxed code runs in this (fresh) sandbox, with
// O_NOFOLLOW and checked by fstat to be a FIFO of ours; after that the host only reads its descriptor, never the
// path again, so nothing the sandbox later does to its /tmp reaches the host. A FIFO holds nothing on disk, so
// a chatty server can't fill it; the host keeps STDERR_TAIL_BYTES in memory.
import { execFile } from "node:child_process";
import { closeSync, constants, fchownSync, fstatSync, lstatSync, openSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";
import { StderrTail } from "./stderr-tail.js";

/** Where the server's script sends stderr, inside its sandbox (the sandbox's /tmp is `<root>/tmp` on the host). */
export const INSIDE_FIFO = "/tmp/.mogplex-stderr";
const NAME = ".mogplex-stderr";
const MKFIFO = ["/usr/bin/mkfifo", "/bin/mkfifo"];
/** After the process is gone: how long to wait for the last bytes before giving up on them. */
const DRAIN_MS = 1_000;

export interface StderrCapture {
  /** Call once the process has exited: closes the host's write end, reads to EOF, and returns the raw tail. */
  finish(): Promise<string>;
  /** Closes everything without waiting (the launch failed before the process ran). */
  abort(): void;
}

function mkfifo(path: string): Promise<void> {
  const run = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const bin = MKFIFO[i];
      if (!bin) return reject(new Error("mkfifo not found"));
      execFile(bin, ["-m", "600", "--", path], { env: {}, timeout: 5_000 }, (err) => {
        if (!err) return resolve();
        if ((err as NodeJS.ErrnoException).code === "ENOENT") run(i + 1).then(resolve, reject);
        else reject(err);
      });
    });
  return run(0);
}

/**
 * Creates and opens the FIFO under the sandbox's host-side tmp directory; null when that isn't possible. The
 * directory belongs to us, or (a root server running sandboxes as an unprivileged host user) to that user,
 * who then gets the FIFO too so the sandboxed process can open it for writing.
 */
export async function captureStderr(hostTmp: string): Promise<StderrCapture | null> {
  const uid = process.getuid?.();
  const dir = lstatSync(hostTmp);
  if (!dir.isDirectory() || (uid !== undefined && uid !== 0 && dir.uid !== uid)) return null;
  const path = join(hostTmp, NAME);
  rmSync(path, { force: true });
  await mkfifo(path);
  const flags = constants.O_NONBLOCK | constants.O_NOFOLLOW;
  const fd = openSync(path, constants.O_RDONLY | flags);
  let writer = -1;
  try {
    const st = fstatSync(fd);
    if (!st.isFIFO() || (uid !== undefined && st.uid !== uid)) throw new Error("not our FIFO");
    if (uid !== undefined && dir.uid !== uid) fchownSync(fd, dir.uid, dir.gid);
    // Held by the host until the process is gone, so the reader sees EOF only after every writer has closed.
    writer = openSync(path, constants.O_WRONLY | flags);
    if (fstatSync(writer).ino !== st.ino) throw new Error("not our FIFO");
  } catch (err) {
    closeSync(fd);
    if (writer !== -1) closeSync(writer);
    throw err;
  }
  const tail = new StderrTail();
  const socket = new Socket({ fd, readable: true, writable: false });
  socket.on("data", (d: Buffer) => tail.push(d));
  socket.on("error", () => undefined);
  const ended = new Promise<void>((resolve) => {
    socket.once("end", resolve);
    socket.once("close", resolve);
  });
  const closeWriter = () => {
    if (writer === -1) return;
    closeSync(writer);
    writer = -1;
  };
  return {
    async finish() {
      closeWriter();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise((r) => (timer = setTimeout(r, DRAIN_MS)))]);
      clearTimeout(timer);
      socket.destroy();
      return tail.text();
    },
    abort() {
      closeWriter();
      socket.destroy();
    },
  };
}
