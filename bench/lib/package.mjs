// A large skill package for the registry benches: mog.yaml, README.md and `files - 2` Markdown files (a line
// of prose, then base64 noise that deflate can't shrink much) sized so the zipped archive is about `mib` MiB.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function writeBenchPackage(dir, { files, mib }) {
  const perFile = Math.floor((mib * 1024 * 1024) / 0.76 / files);
  writeFileSync(
    join(dir, "mog.yaml"),
    "name: bench/big-skill\nversion: 1.0.0\ntype: skill\ndescription: bench package\ntargets: [claude-code]\n",
  );
  writeFileSync(join(dir, "README.md"), "# Bench package\n");
  const prose = "The reviewer reads each change, runs the tests and writes down what it found.\n";
  for (let i = 0; i < files - 2; i++) {
    const folder = join(dir, `section-${i % 20}`);
    mkdirSync(folder, { recursive: true });
    const noise = randomBytes(perFile)
      .toString("base64")
      .slice(0, perFile - prose.length);
    writeFileSync(join(folder, `doc-${i}.md`), prose + noise);
  }
}
