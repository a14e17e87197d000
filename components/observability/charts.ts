/** Helm release names, fixed so that Service names are known (Grafana's and Kiali's follow the release name). */
export const observabilityReleases = {
  prometheus: "prometheus",
  grafana: "grafana",
  kiali: "kiali",
  kialiRemoteAccess: "kiali-remote-access",
} as const;
