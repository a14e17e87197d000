import { stringify as toYaml } from "yaml";
import { RawConfig } from "../../config";
import { fakeCaData } from "./mocks/clouds";
import { encodeConfig } from "./stackFiles";

export const token = "kind-admin-token-not-to-be-printed";

/** An admin kubeconfig as `kind get kubeconfig` writes it, with a few fields replaced. */
export function kindKubeconfig(
  changes: { server?: string; cluster?: Record<string, unknown>; user?: Record<string, unknown>; currentContext?: string | null } = {},
) {
  const document: Record<string, unknown> = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "kind-onprem",
        cluster: {
          server: changes.server ?? "https://127.0.0.1:40123",
          "certificate-authority-data": fakeCaData("onprem"),
          ...changes.cluster,
        },
      },
    ],
    contexts: [{ name: "kind-onprem", context: { cluster: "kind-onprem", user: "kind-onprem" } }],
    users: [{ name: "kind-onprem", user: changes.user ?? { token } }],
    "current-context": changes.currentContext === null ? undefined : (changes.currentContext ?? "kind-onprem"),
  };
  return toYaml(document);
}

export const members = ["eks", "aks", "onprem"];

/** The stack config of an existing member `onprem` in a three-member mesh. */
export function onpremConfig(changes: Record<string, unknown> = {}): RawConfig {
  const config: Record<string, string | undefined> = encodeConfig({
    "burstmesh:cloud": "existing",
    "burstmesh:clusterName": "onprem",
    "burstmesh:network": "network-onprem",
    "burstmesh:peers": ["eks", "aks"],
    "burstmesh:members": members,
    "burstmesh:region": "on-prem-fra",
    "burstmesh:kubeconfig": kindKubeconfig(),
    "burstmesh:apiServerUrl": "https://203.0.113.10:6443",
    "burstmesh:gatewayService": "NodePort",
    "burstmesh:gatewayAddress": "203.0.113.20",
    "burstmesh:egressCidrs": ["203.0.113.16/28"],
  });
  for (const [key, value] of Object.entries(changes)) {
    config[key] = value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value);
  }
  return config;
}
