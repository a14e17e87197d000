/**
 * The first run on a fresh machine: no Pulumi CLI, no backend, no passphrase in the environment.
 * Everything runs against injected fakes; nothing is downloaded.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PulumiCommand } from "@pulumi/pulumi/automation";
import * as semver from "semver";
import { MissingPulumiCliError, PULUMI_VERSION_FILE, pinnedPulumiVersion } from "../../orchestrator/pulumiCli";
import { repoRoot } from "../support/stackFiles";

export const PINNED = pinnedPulumiVersion(repoRoot);

/** A scratch copy of the project files the orchestrator reads; the caller removes it. */
export function scratchRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "burstmesh-firstrun-"));
  for (const file of fs.readdirSync(repoRoot).filter((f) => /^Pulumi(\..+)?\.yaml$/.test(f) || f === PULUMI_VERSION_FILE)) {
    fs.copyFileSync(path.join(repoRoot, file), path.join(dir, file));
  }
  return dir;
}

/** What `PulumiCommand.install` resolves with: the CLI under the install root. */
export function installedCli(root: string): PulumiCommand {
  return { command: path.join(root, "bin", "pulumi"), version: new semver.SemVer(PINNED) } as PulumiCommand;
}

/** `findOnPath`/`findCli` on a machine without the Pulumi CLI. */
export const noCliOnPath = () => Promise.reject(new MissingPulumiCliError("pulumi"));
