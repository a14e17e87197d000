/**
 * Taking a member out of the config, as `remove-member` does it: out of `burstmesh:members` (in
 * Pulumi.yaml, and in any stack file that sets it), out of every explicit `burstmesh:peers`, and out
 * of the trust stack's `burstmesh:trust.intermediates`. The files keep their comments and the rest of
 * their content.
 */
import * as fs from "node:fs";
import { isSeq, parseDocument, type Document } from "yaml";
import { projectName, trustKey } from "../config";

/** Removes `value` from the list at `path` of `document`, when there is one; whether it did. */
function removeFromList(document: Document, path: readonly string[], value: string): boolean {
  const list = document.getIn(path, true);
  if (!isSeq(list)) return false;
  const index = list.items.findIndex((item) => String((item as { value?: unknown }).value ?? item) === value);
  if (index < 0) return false;
  list.items.splice(index, 1);
  return true;
}

/** Rewrites `file` after `edit`, when the edit changed something; the files it changed. */
function editYaml(file: string, edit: (document: Document) => boolean): string[] {
  const document = parseDocument(fs.readFileSync(file, "utf8"));
  if (!edit(document)) return [];
  fs.writeFileSync(file, document.toString());
  return [file];
}

/**
 * Takes `member` out of the mesh's config; resolves with the files it changed. Its own stack file
 * stays (its stack is destroyed from it), with the member out of its `members` too, so that the
 * stack files agree.
 */
export function removeMemberFromConfig(files: { project: string; stacks: Readonly<Record<string, string>> }, member: string): string[] {
  const members = `${projectName}:members`;
  const peers = `${projectName}:peers`;
  const changed = editYaml(files.project, (document) => removeFromList(document, ["config", "members", "default"], member));
  for (const file of Object.values(files.stacks)) {
    changed.push(
      ...editYaml(file, (document) => {
        const fromMembers = removeFromList(document, ["config", members], member);
        const fromPeers = removeFromList(document, ["config", peers], member);
        // The trust stack's generations name members only: the member's intermediate generation goes too.
        const intermediate = ["config", trustKey, "intermediates", member];
        const fromTrust = document.hasIn(intermediate) && document.deleteIn(intermediate);
        return fromMembers || fromPeers || fromTrust;
      }),
    );
  }
  return changed;
}

/** Sets `key` to `value` in a stack file's `config`, keeping the rest of the file. */
export function setStackConfig(file: string, key: string, value: unknown): void {
  editYaml(file, (document) => {
    document.setIn(["config", key], value);
    return true;
  });
}
