/**
 * The trust stack's `burstmesh:trust` as the rotate commands read and write it: in the stack file, so
 * that the state of a rotation is there to read, review and edit by hand like any other config.
 */
import * as fs from "node:fs";
import { parseDocument } from "yaml";
import { trustKey, type TrustSettings } from "../config";

/** Writes the generations and the retirement wait into the stack file's `config`, keeping the rest of the file, comments included, as it was. */
export function writeTrustSettings(file: string, trust: TrustSettings): void {
  const document = parseDocument(fs.readFileSync(file, "utf8"));
  document.setIn(["config", trustKey], {
    roots: [...trust.roots],
    signingRoot: trust.signingRoot,
    intermediates: { ...trust.intermediates },
    retireAfterHours: trust.retireAfterHours,
  });
  fs.writeFileSync(file, document.toString());
}
