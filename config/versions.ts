import { z } from "zod";
import { repeatedIndexes } from "./fields";
import { dns1123Label } from "./schema";

/**
 * Versions of a service across clusters (`burstmesh:services[].versions`): each version runs its own
 * image in the clusters it lists; traffic is split between versions by weight, and a request header
 * picks one version outright, for testers. A service without `versions` runs one version, as before.
 */

/** The request header that routes to one version, whatever the weights say. */
export const versionHeader = "x-burstmesh-version";

/** A version's name: a subset name and the pods' `version` label value. */
const versionName = z
  .string("must be a version name such as v2")
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS-1123 label such as v2: it names a subset and is the pods' version label");

/** A header value as testers type it: visible ASCII, no spaces. */
const headerValue = z.string().regex(/^[\x21-\x7e]{1,128}$/, "must be a header value without spaces, such as v2");

const versionSchema = z.strictObject({
  name: versionName,
  image: z.string("must be an image reference").min(1, "must name a container image"),
  /** The member clusters that run this version; the others run none of its pods. */
  clusters: z.array(dns1123Label).min(1, "must list at least one member cluster that runs this version"),
  /** Percent of the requests without the version header that this version gets. */
  weight: z
    .number("must be a number")
    .int("must be a whole number")
    .min(0, "must be between 0 and 100")
    .max(100, "must be between 0 and 100"),
});
export type VersionSettings = z.output<typeof versionSchema>;

/** `versions`: at least one, unique names, weights summing to 100. */
export const versionsField = z
  .array(versionSchema)
  .min(1, "must list at least one version (leave versions out for a service with one version)")
  .superRefine((versions, ctx) => {
    for (const index of repeatedIndexes(versions, (version) => version.name)) {
      ctx.addIssue({ code: "custom", path: [index, "name"], message: `names version '${versions[index]!.name}' twice` });
    }
    const total = versions.reduce((sum, version) => sum + version.weight, 0);
    if (total !== 100) ctx.addIssue({ code: "custom", message: `weights must sum to 100 (got ${total})` });
  });

/**
 * `headerRoutes`: header value to version name, for requests that carry {@link versionHeader}. By
 * default every version is reachable by its own name (`x-burstmesh-version: v2`).
 */
export const headerRoutesField = z.record(headerValue, versionName);

/** The header routes in effect: the configured ones, else each version by its own name. */
export function defaultHeaderRoutes(versions: readonly VersionSettings[]): Record<string, string> {
  return Object.fromEntries(versions.map((version) => [version.name, version.name]));
}

/**
 * The checks that need the members or span fields: every version's clusters are members, the home
 * cluster runs at least one version, and every header route names a declared version. Each issue
 * names its key, under `key` (such as `burstmesh:services[0]`).
 */
export function versionIssues(key: string, entry: Record<string, unknown>, members: readonly string[] | undefined): string[] {
  const versions = versionsField.safeParse(entry.versions);
  const routes = headerRoutesField.safeParse(entry.headerRoutes);
  const issues: string[] = [];
  if (entry.headerRoutes !== undefined && entry.versions === undefined) {
    issues.push(`${key}.headerRoutes: applies only to a service with versions`);
  }
  if (!versions.success) return issues;
  const names = versions.data.map((version) => version.name);
  versions.data.forEach((version, index) => {
    version.clusters.forEach((cluster, position) => {
      if (members && !members.includes(cluster)) {
        issues.push(
          `${key}.versions[${index}].clusters[${position}]: '${cluster}' is not one of burstmesh:members (${members.join(", ")})`,
        );
      }
    });
  });
  const home = entry.homeCluster;
  if (typeof home === "string" && !versions.data.some((version) => version.clusters.includes(home))) {
    issues.push(
      `${key}.versions: the home cluster '${home}' runs none of the versions; list it in the clusters of at least one ` +
        "(overflow starts from the home cluster's pods)",
    );
  }
  if (routes.success) {
    for (const [value, version] of Object.entries(routes.data)) {
      if (!names.includes(version)) {
        issues.push(`${key}.headerRoutes.${value}: names version '${version}', which is not one of the versions (${names.join(", ")})`);
      }
    }
  }
  return issues;
}
