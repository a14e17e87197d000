/** What the doctor holds the members to: the mesh's config and what each cluster stack published. */

/** What a member published for its peers (its `meshPeer` output), the parts the checks compare. */
export interface PublishedPeer {
  apiServerUrl: string;
  /** The API server's CA, PEM base64-encoded once, as kubeconfigs carry it. */
  certificateAuthorityData: string;
  egressCidrs: string[];
  gatewayAddress: string;
}

export interface ExpectedMember {
  name: string;
  cloud: "aws" | "azure" | "existing";
  network: string;
  peers: string[];
  gatewayAllowedCidrs: string[];
  /** Undefined when its stack has published nothing yet. */
  published?: PublishedPeer;
}

export interface ExpectedMesh {
  meshId: string;
  trustDomain: string;
  members: ExpectedMember[];
}

/** The config key a member's setting lives under, for hints. */
export function stackKey(member: string, key: string): string {
  return `burstmesh:${key} in Pulumi.${member}.yaml`;
}
