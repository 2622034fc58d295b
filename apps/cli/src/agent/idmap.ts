// Root working in a folder root owns: the sandbox still must not be host root, yet the folder must stay
// writable and its files root's. The command line below makes, in a private mount namespace (unshare), an
// idmapped view of the folder in which host root's files belong to the unprivileged sandbox user (and what that
// user writes is root's on disk), mounted at IDMAP_VIEW on a small tmpfs over /tmp (only in that namespace, so
// nothing is left on the host), then drops to that user (setpriv) and execs bwrap, which binds the view at the
// folder's path. The idmapped mount is made by the system's python3 (already needed for the seccomp filter),
// through open_tree / mount_setattr(MOUNT_ATTR_IDMAP) / move_mount; Linux 5.12+ and a filesystem that supports
// idmapped mounts (ext4, xfs, btrfs, tmpfs on 6.3+).

/** Where the view is mounted inside the private mount namespace. */
export const IDMAP_VIEW = "/tmp/mogplex-view";

// argv: source, view, host uid, "--", command… (the command is exec'd once the view is mounted).
const HELPER = String.raw`
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
src, view, uid = sys.argv[1], sys.argv[2], int(sys.argv[3])
cmd = sys.argv[5:]
def fail(what):
    e = ctypes.get_errno()
    sys.stderr.write("mogplex: cannot make an idmapped view of %s (%s: %s)\n" % (src, what, os.strerror(e)))
    sys.exit(126)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    if libc.unshare(0x10000000) != 0:
        os._exit(1)
    os.read(r, 1)
    os._exit(0)
os.close(r)
for _ in range(200):
    if os.readlink("/proc/%d/ns/user" % pid) != os.readlink("/proc/self/ns/user"):
        break
    import time; time.sleep(0.01)
with open("/proc/%d/uid_map" % pid, "w") as f: f.write("0 %d 1\n" % uid)
with open("/proc/%d/setgroups" % pid, "w") as f: f.write("deny")
with open("/proc/%d/gid_map" % pid, "w") as f: f.write("0 %d 1\n" % uid)
nsfd = os.open("/proc/%d/ns/user" % pid, os.O_RDONLY)
tree = libc.syscall(428, -100, src.encode(), 1 | 0o2000000 | 0x8000)
if tree < 0: fail("open_tree")
class Attr(ctypes.Structure):
    _fields_ = [("set", ctypes.c_uint64), ("clr", ctypes.c_uint64), ("prop", ctypes.c_uint64), ("userns", ctypes.c_uint64)]
attr = Attr(0x00100000, 0, 0, nsfd)
if libc.syscall(442, tree, b"", 0x1000 | 0x8000, ctypes.byref(attr), ctypes.sizeof(attr)) < 0: fail("mount_setattr")
if libc.mount(b"none", b"/tmp", b"tmpfs", 0, b"mode=0711,size=64k") != 0: fail("mount tmpfs")
os.mkdir(view, 0o755)
if libc.syscall(429, tree, b"", -100, view.encode(), 4) < 0: fail("move_mount")
os.write(w, b"x")
os.waitpid(pid, 0)
os.close(nsfd)
os.execv(cmd[0], cmd)
`;

export interface IdmapTools {
  unshare: string;
  python: string;
}

/** The prefix that runs `command` with `view` showing `source` idmapped for `uid` (see above). */
export function idmapPrefix(t: IdmapTools, source: string, uid: number): string[] {
  return [
    t.unshare,
    "--mount",
    "--propagation",
    "private",
    "--",
    t.python,
    "-I",
    "-c",
    HELPER,
    source,
    IDMAP_VIEW,
    String(uid),
    "--",
  ];
}
