import { strict as assert } from "node:assert";
import { chartNames, loadConfig, parseChartSources } from "../../config";
import { configErrorOf, withConfig } from "../support/stackFiles";

const key = "burstmesh:chartSources";

describe("config: burstmesh:chartSources", () => {
  const accepted = (raw: unknown) => {
    const result = parseChartSources(raw);
    assert.ok(result.ok, JSON.stringify(result));
    return result.chartSources;
  };
  const issuesOf = (raw: unknown) => {
    const result = parseChartSources(raw);
    assert.ok(!result.ok, `expected ${JSON.stringify(raw)} to be refused`);
    return result.issues;
  };

  it("absent or empty: every chart from upstream", () => {
    assert.deepEqual(accepted(undefined), {});
    assert.deepEqual(accepted("{}"), {});
  });

  it("takes a source for all and per chart, as JSON text too, without trailing slashes", () => {
    assert.deepEqual(
      accepted(JSON.stringify({ all: "oci://harbor.example:8443/mirror/charts/", "kiali-server": "https://kiali.example/" })),
      {
        all: "oci://harbor.example:8443/mirror/charts",
        "kiali-server": "https://kiali.example",
      },
    );
    assert.deepEqual(accepted({ istiod: "oci://123456789012.dkr.ecr.eu-central-1.amazonaws.com/helm" }), {
      istiod: "oci://123456789012.dkr.ecr.eu-central-1.amazonaws.com/helm",
    });
  });

  it("takes every chart burstmesh installs by its name", () => {
    const every = Object.fromEntries(chartNames.map((chart) => [chart, `https://${chart}.mirror.example/charts`]));
    assert.deepEqual(accepted(every), every);
  });

  it("takes http:// for a loopback host only (a local mirror, the rehearsal's chart server)", () => {
    for (const url of ["http://127.0.0.1:8080", "http://localhost:8080/charts", "http://[::1]:8080"]) {
      assert.deepEqual(accepted({ all: url }), { all: url }, url);
    }
    assert.deepEqual(issuesOf({ all: "http://charts.mirror.example/helm" }), [
      `${key}.all: http:// is only for a loopback host (127.0.0.1, localhost, [::1]); use https:// for 'charts.mirror.example'`,
    ]);
    assert.deepEqual(issuesOf({ grafana: "http://10.0.0.5:8080" }), [
      `${key}.grafana: http:// is only for a loopback host (127.0.0.1, localhost, [::1]); use https:// for '10.0.0.5:8080'`,
    ]);
  });

  it("refuses a key that names no chart, suggesting the one it most likely misspells, else listing them", () => {
    assert.deepEqual(issuesOf({ istio: "https://istio.example/charts" }), [`${key}.istio: is not a known setting; did you mean 'istiod'?`]);
    assert.deepEqual(issuesOf({ karpenter_crd: "oci://r.example/m" }), [
      `${key}.karpenter_crd: is not a known setting; did you mean 'karpenter-crd'?`,
    ]);
    assert.deepEqual(issuesOf({ kiali: "https://kiali.example" }), [
      `${key}.kiali: is not a known setting; it takes 'all' or a chart's name: ` +
        "base, cni, istiod, gateway, karpenter-crd, karpenter, prometheus, grafana, kiali-server",
    ]);
  });

  const refused: [string, unknown, string][] = [
    [
      "a bare host",
      "charts.example",
      "must be an https:// Helm repository or an oci:// registry path, such as oci://registry.example.com/charts (got 'charts.example')",
    ],
    [
      "another scheme",
      "ftp://charts.example",
      "must be an https:// Helm repository or an oci:// registry path, such as oci://registry.example.com/charts (got 'ftp://charts.example')",
    ],
    [
      "an upper-case scheme, which Helm does not take for OCI",
      "OCI://r.example/m",
      "must be an https:// Helm repository or an oci:// registry path, such as oci://registry.example.com/charts (got 'OCI://r.example/m')",
    ],
    ["no host", "oci:///charts", "names no host (got 'oci:///charts')"],
    ["spaces", "https://charts.example/my charts", "must not contain spaces (got 'https://charts.example/my charts')"],
    [
      "credentials",
      "https://robot:s3cret@charts.example/helm",
      "must not hold credentials: log in to the registry on the machine that runs Pulumi",
    ],
    ["a query", "https://charts.example/helm?token=x", "must have no query or fragment (got 'https://charts.example/helm?token=x')"],
    [
      "a chart archive",
      "https://charts.example/istiod-1.30.3.tgz",
      "must be a Helm repository (the URL its index.yaml is under), not a chart archive (got 'https://charts.example/istiod-1.30.3.tgz')",
    ],
    [
      "the index itself",
      "https://charts.example/helm/index.yaml",
      "must be the Helm repository itself, without /index.yaml (got 'https://charts.example/helm/index.yaml')",
    ],
    [
      "an OCI tag",
      "oci://r.example/mirror:1.30.3",
      "names a tag or digest; the chart's pinned version is its tag, so give the repository path only (got 'oci://r.example/mirror:1.30.3')",
    ],
    [
      "an OCI digest",
      "oci://r.example/mirror@sha256:abc",
      "names a tag or digest; the chart's pinned version is its tag, so give the repository path only (got 'oci://r.example/mirror@sha256:abc')",
    ],
    [
      "an upper-case OCI path",
      "oci://r.example/Mirror/charts",
      "has the path component 'Mirror', but OCI repository paths take lowercase letters and digits with '.', '_', '__' or '-' between them",
    ],
    ["not text", 8080, "must be a URL such as https://charts.example.com or oci://registry.example.com/charts"],
  ];
  for (const [what, url, message] of refused) {
    it(`refuses ${what}, naming the key`, () => {
      assert.deepEqual(issuesOf({ base: url }), [`${key}.base: ${message}`]);
    });
  }

  it("refuses a value that is not an object, and reports every bad key at once", () => {
    assert.deepEqual(issuesOf(["oci://r.example/m"]), [`${key}: must be an object`]);
    assert.deepEqual(issuesOf({ all: "ftp://a.example", cni: "http://b.example", grafna: "oci://c.example/m" }).sort(), [
      `${key}.all: must be an https:// Helm repository or an oci:// registry path, such as oci://registry.example.com/charts (got 'ftp://a.example')`,
      `${key}.cni: http:// is only for a loopback host (127.0.0.1, localhost, [::1]); use https:// for 'b.example'`,
      `${key}.grafna: is not a known setting; did you mean 'grafana'?`,
    ]);
  });

  it("is part of a cluster stack's config, which a bad one fails with its key", () => {
    const mirrors = { all: "oci://harbor.mirror.example/burstmesh", istiod: "https://artifactory.mirror.example/helm/istio" };
    const config = loadConfig(withConfig("aks", { [key]: mirrors }), undefined, []);
    assert.ok(config.role === "cluster");
    assert.deepEqual(config.chartSources, mirrors);
    const stackDefault = loadConfig(withConfig("aks", {}), undefined, []);
    assert.ok(stackDefault.role === "cluster");
    assert.deepEqual(stackDefault.chartSources, {});

    assert.match(
      configErrorOf(withConfig("aks", { [key]: "https://charts.example" })),
      /burstmesh:chartSources: must be an object \(got 'https:\/\/charts.example'\)/,
    );
  });
});
