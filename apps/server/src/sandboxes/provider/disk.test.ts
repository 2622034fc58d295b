// A root server's per-sandbox filesystems: removed with the sandbox, and swept when a dead worker left one behind.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BwrapProvider } from "./bwrap.js";
import { mountedUnder } from "./disk.js";
import {
  HOST_PATH,
  noProcessesWith,
  processesWith,
  type SandboxFixture,
  sandboxFixture,
} from "./test-support/sandbox.js";

const mounted = (mountPoint: string) =>
  mountedUnder(dirname(mountPoint)).some((m) => m.mountPoint === mountPoint);

// Registered only where a root server mounts filesystems (CI runs as root), so nothing is reported as skipped.
if (process.getuid?.() === 0) {
  describe("per-sandbox filesystems", () => {
    const f: SandboxFixture = sandboxFixture();
    afterAll(() => f.close());

    it("is mounted while the sandbox lives and gone after destroy", async () => {
      const h = await f.create();
      const fs = dirname(h.workspace);
      expect(mounted(fs)).toBe(true);
      await h.destroy();
      expect(mounted(fs)).toBe(false);
      expect(existsSync(fs)).toBe(false);
    });

    it("a filesystem whose sandbox directory vanished (dead worker, data dir wiped) is swept at the next start", async () => {
      const h = await f.create();
      const fs = dirname(h.workspace);
      await h.exec({ script: "sleep 30 &", timeoutMs: 5_000 }); // the sandbox is left as a crash would leave it
      rmSync(f.dataDir, { recursive: true, force: true });
      expect(mounted(fs)).toBe(true);
      const next = new BwrapProvider({ bwrap: "bwrap", hostPath: HOST_PATH });
      expect(await next.check()).toMatchObject({ ok: true });
      expect(mounted(fs)).toBe(false);
      expect(existsSync(fs)).toBe(false);
    });
  });
} else {
  describe("per-sandbox filesystems (unprivileged server: a tmpfs in the sandbox's own namespace)", () => {
    const f: SandboxFixture = sandboxFixture();
    afterAll(() => f.close());

    it("is reported as memory, exists while the sandbox lives, and its keeper is gone after destroy", async () => {
      expect(await f.provider.check()).toMatchObject({ ok: true, diskLimit: "memory" });
      const h = await f.create({}, { diskMb: 64 });
      await h.exec({ script: "echo hi > /workspace/x", timeoutMs: 5_000 });
      expect(readFileSync(join(h.workspace, "x"), "utf8")).toBe("hi\n");
      const keeper = processesWith("mogplex-keeper").filter((pid) =>
        readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(f.dataDir),
      );
      expect(keeper).toHaveLength(1);
      await h.destroy();
      await noProcessesWith(f.dataDir);
    });
  });
}
