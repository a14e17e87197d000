/** Where a member cluster's resources belong: what the default tags say. */
interface TagScope {
  /** The Pulumi project. */
  project: string;
  /** The stack that owns the resources. */
  stack: string;
  /** The member cluster's name. */
  cluster: string;
}

/**
 * The tags every taggable AWS and Azure resource of a member cluster carries: the configured
 * `burstmesh:tags` and the default tags `burstmesh:project`, `burstmesh:stack` and
 * `burstmesh:cluster`. Config keeps user keys out of the `burstmesh:` prefix, so neither overrides
 * the other.
 */
export function clusterTags(scope: TagScope, configured: Readonly<Record<string, string>>): Record<string, string> {
  return { ...configured, ...defaultTags(scope) };
}

/** The default tags alone. */
function defaultTags(scope: TagScope): Record<string, string> {
  return { "burstmesh:project": scope.project, "burstmesh:stack": scope.stack, "burstmesh:cluster": scope.cluster };
}

/** The tag key that marks a resource as belonging to (`shared`) or owned by a Kubernetes cluster. */
export function clusterTagKey(clusterName: string): string {
  return `kubernetes.io/cluster/${clusterName}`;
}
