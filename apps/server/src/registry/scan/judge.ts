// The verdict on one archive, computed inside the scan sandbox: every pkgfmt check, then secrets, then the
// suspicious-but-allowed rules. Pure (bytes in, outcome out) so the same code runs in the sandbox and in tests.
import { inspect, isPackageError, type PackageInfo } from "@mogplex/pkgfmt";
import { isShellCommand, PACKAGE_ERROR_CATEGORY, SCAN_CODES } from "./categories.js";
import { judgeText, type SecretVerdict, textOf, worse } from "./secrets.js";
import type { ScanOutcome } from "./types.js";

/**
 * Judges an archive. `failed` when a rule is broken: any pkgfmt refusal (category from its code) or a
 * credential secretlint's recommended preset recognises, in any file or file name. `flagged` when nothing is
 * broken but a person should look before it is published: an AWS key id (or a format only our own, broader
 * patterns know) with no secret the preset recognises, or an `mcp` package whose command is a shell. Throws
 * only on a fault of the scanner itself (never for anything the archive holds).
 */
export async function judgePackage(archive: Buffer): Promise<ScanOutcome> {
  let secrets: SecretVerdict = null;
  let info: PackageInfo;
  try {
    info = await inspect(archive, {
      onFile: (_file, data) => {
        secrets = worse(secrets, judgeText(textOf(data)));
        // A failed scan stops at the first certain secret: nothing after it can make the verdict better.
        if (secrets === "secret") throw new SecretFound();
      },
    });
  } catch (err) {
    if (err instanceof SecretFound) return { status: "failed", reason: "secret", code: SCAN_CODES.secret };
    if (isPackageError(err))
      return { status: "failed", reason: PACKAGE_ERROR_CATEGORY[err.code], code: err.code };
    throw err;
  }
  // Names are text a vendor chose too.
  secrets = worse(secrets, judgeText(info.files.map((f) => f.path).join("\n")));
  if (secrets === "secret") return { status: "failed", reason: "secret", code: SCAN_CODES.secret };
  if (secrets === "possible") return { status: "flagged", reason: "secret", code: SCAN_CODES.possibleSecret };
  const command = info.manifest.mcp?.command;
  if (command !== undefined && isShellCommand(command))
    return { status: "flagged", reason: "manifest", code: SCAN_CODES.shellCommand };
  return {
    status: "passed",
    reason: null,
    manifest: info.manifest,
    files: info.files,
    archiveSha256: info.archiveSha256,
  };
}

class SecretFound extends Error {}
