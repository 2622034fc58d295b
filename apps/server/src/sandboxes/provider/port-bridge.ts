// A TCP port of one sandboxed process, reachable from the host: the invocation's own loopback stays its only
// network; inside, socat listens on a unix socket in a folder bound into that invocation alone and forwards each
// connection to 127.0.0.1:<port>. The host connects to that socket, and only to a real socket (see connectBridge).
import { closeSync, constants, fstatSync, openSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { SandboxUnavailableError } from "./types.js";

/** Where the bridge folder is bound inside the invocation. */
export const BRIDGE_INSIDE = "/run/mogplex-port";
const SOCKET = "port.sock";
// Linux open(2) flag: a handle on the path itself, no read or write access. Not in Node's fs.constants.
const O_PATH = 0o10000000;

export function validPort(port: unknown): port is number {
  return typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65_535;
}

/** The shell line starting the in-sandbox listener (the port is checked, so it is only ever digits). */
export function bridgePreamble(port: number): string {
  if (!validPort(port)) throw new SandboxUnavailableError(`port ${String(port)} is not a TCP port (1-65535)`);
  return `socat UNIX-LISTEN:${BRIDGE_INSIDE}/${SOCKET},fork,mode=0600,unlink-early TCP:127.0.0.1:${port} </dev/null >/dev/null 2>&1 &`;
}

export class BridgeNotListening extends Error {
  override readonly name = "BridgeNotListening";
}

/**
 * Connects to the bridge socket in `dir` (a host folder the sandbox can write). The sandbox could put a symlink
 * there pointing at any socket of the host; so the name is opened without following links (O_PATH|O_NOFOLLOW),
 * checked to be a socket, and that very inode is connected to through /proc/self/fd — no window in which the
 * name could be swapped, and a short path whatever the folder's length (unix socket paths stop at 107 bytes).
 */
export function connectBridge(dir: string): Promise<Socket> {
  let fd: number;
  try {
    fd = openSync(join(dir, SOCKET), O_PATH | constants.O_NOFOLLOW);
  } catch {
    return Promise.reject(new BridgeNotListening("nothing is listening in the sandbox yet"));
  }
  let closed = false;
  const release = () => {
    if (closed) return;
    closed = true;
    closeSync(fd);
  };
  try {
    if (!fstatSync(fd).isSocket()) {
      release();
      return Promise.reject(new BridgeNotListening("the sandbox's bridge is not a socket"));
    }
  } catch (err) {
    release();
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => {
    const sock = connect(`/proc/self/fd/${fd}`);
    sock.once("connect", () => {
      release();
      resolve(sock);
    });
    sock.once("error", (err) => {
      release();
      reject(new BridgeNotListening(`the sandbox's bridge refused the connection (${err.message})`));
    });
  });
}
