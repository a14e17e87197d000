/**
 * The mesh components' Istio objects against Istio's CRD schemas in every clone (the models of
 * @kubernetes-models/istio); and, where a checkout has the pinned Istio minor's own files, the
 * objects with unknown fields rejected, the gateway values against the chart's values schema and the
 * istiod and base values against the charts' defaults. Those extra checks skip, saying so, elsewhere.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { parse as parseYaml } from "yaml";
import { crossNetworkGateway, meshPeerAuthentication } from "../../components/mesh/objects";
import { baseValues, eastWestGatewayValues, istiodValues } from "../../components/mesh/values";
import {
  gatewayChartTopLevelKeys,
  istioSchemaErrors,
  referenceDir,
  referenceVersion,
  skipWithoutReference,
} from "../support/istioReference";
import { validateIstio } from "../support/schemas";

/** Every Istio object the mesh components create (the components build them with these functions only). */
const istioObjects = () => [meshPeerAuthentication(), crossNetworkGateway()];

const gatewayValues = () => [
  eastWestGatewayValues({ revision: "1-30-8", network: "network-eks", cloud: "aws", sourceRanges: ["20.1.2.4/32"] }),
  eastWestGatewayValues({ revision: "1-30-8", network: "network-aks", cloud: "azure", sourceRanges: ["203.0.113.7/32"] }),
];

const istiodSettings = {
  revision: "1-30-8",
  meshId: "burstmesh",
  trustDomain: "cluster.local",
  clusterName: "eks",
  network: "network-eks",
};

/**
 * Subtrees whose schema is not the chart's values file: `meshConfig` is Istio's MeshConfig API,
 * merged by the istiod chart over its own mesh defaults (templates/configmap.yaml in 1.30.3, which
 * sets `trustDomain` there, deep-merged with `mergeOverwrite`, so `defaultConfig`, the proxies'
 * ProxyConfig, keeps the chart's own keys such as `meshId` beside ours). Keys set under it must be
 * in this list.
 */
const meshConfigFields = ["trustDomain", "defaultConfig"];

type Kind = "object" | "array" | "scalar" | "null";
function kindOf(value: unknown): Kind {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? "object" : "scalar";
}

/**
 * The value paths set in `values` that the chart's defaults do not know, or that have another shape
 * there. The descent stops where the default is a list, an empty map or null: the value set there
 * replaces or fills a free-form default (e.g. `topologySpreadConstraints: []`).
 */
function unknownPaths(values: Record<string, unknown>, defaults: Record<string, unknown>, prefix = ""): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const at = `${prefix}${key}`;
    if (!(key in defaults)) {
      problems.push(`${at} (not in the chart's values)`);
      continue;
    }
    if (at === "meshConfig") {
      for (const field of Object.keys(value as object)) {
        if (!meshConfigFields.includes(field)) problems.push(`meshConfig.${field} (not a MeshConfig field this test knows)`);
      }
      continue;
    }
    const reference = defaults[key];
    const [mine, theirs] = [kindOf(value), kindOf(reference)];
    if (theirs !== "null" && mine !== theirs) {
      problems.push(`${at} (a ${mine} here, a ${theirs} in the chart's values)`);
    } else if (mine === "object" && theirs === "object" && Object.keys(reference as object).length > 0) {
      problems.push(...unknownPaths(value as Record<string, unknown>, reference as Record<string, unknown>, `${at}.`));
    }
  }
  return problems;
}

/** A chart's default values as its templates see them: `_internal_defaults_do_not_set` lifted to the top. */
function chartDefaults(file: string): Record<string, unknown> {
  const values = parseYaml(fs.readFileSync(path.join(referenceDir, file), "utf8")) as Record<string, unknown>;
  const { _internal_defaults_do_not_set: internal, ...rest } = values;
  return { ...(internal as Record<string, unknown>), ...rest };
}

describe("mesh: Istio objects against the CRD schemas of @kubernetes-models/istio", () => {
  it("every Istio object the mesh components create is valid", async () => {
    for (const object of istioObjects()) {
      assert.deepEqual(await validateIstio(object), [], `${object.kind} ${object.metadata.name}`);
    }
  });

  it("the model check itself rejects a wrong value (so the test above can fail)", async () => {
    const gateway = crossNetworkGateway();
    const broken = { ...gateway, spec: { ...gateway.spec, servers: [{ ...gateway.spec.servers[0]!, tls: { mode: "PASSTHRU" } }] } };
    assert.notDeepEqual(await validateIstio(broken), []);
  });
});

describe(`mesh: against the Istio ${referenceVersion} reference`, function () {
  before(function () {
    skipWithoutReference(this);
  });

  it(`every Istio object passes its ${referenceVersion} CRD schema, unknown fields rejected`, () => {
    for (const object of istioObjects()) {
      assert.deepEqual(istioSchemaErrors(object), [], `${object.kind} ${object.metadata.name}`);
    }
  });

  it("the schema check itself rejects a misplaced field (so the test above can fail)", () => {
    const gateway = crossNetworkGateway();
    const broken = { ...gateway, spec: { ...gateway.spec, servers: [{ ...gateway.spec.servers[0]!, tlsMode: "AUTO_PASSTHROUGH" }] } };
    assert.notDeepEqual(istioSchemaErrors(broken), []);
  });

  it("gateway values use only top-level keys the chart's schema accepts", () => {
    const known = gatewayChartTopLevelKeys();
    assert.ok(known.length > 10, "the schema lists its keys");
    for (const values of gatewayValues()) {
      assert.deepEqual(
        Object.keys(values).filter((key) => !known.includes(key)),
        [],
      );
    }
  });

  it("gateway values pass the chart's whole values schema", () => {
    const { $schema: _ignored, ...schema } = JSON.parse(
      fs.readFileSync(path.join(referenceDir, "gateway.values.schema.json"), "utf8"),
    ) as Record<string, unknown>;
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    for (const values of gatewayValues()) {
      assert.ok(validate(values), JSON.stringify(validate.errors));
    }
    assert.equal(validate({ networkGatewayPortz: {} }), false, "the schema's top level is strict");
  });

  it("every istiod value path exists in the istiod chart's values", () => {
    assert.deepEqual(unknownPaths(istiodValues(istiodSettings), chartDefaults("istiod.values.yaml")), []);
  });

  it("every base value path exists in the base chart's values", () => {
    assert.deepEqual(unknownPaths(baseValues("1-30-8"), chartDefaults("base.values.yaml")), []);
  });

  it("the path check finds a misspelt or misplaced key (so the tests above can fail)", () => {
    const defaults = chartDefaults("istiod.values.yaml");
    assert.deepEqual(unknownPaths({ global: { meshId: "x" } }, defaults), ["global.meshId (not in the chart's values)"]);
    assert.deepEqual(unknownPaths({ multiCluster: { clusterName: "x" } }, defaults), ["multiCluster (not in the chart's values)"]);
    assert.deepEqual(unknownPaths({ autoscaleMin: { value: 2 } }, defaults), [
      "autoscaleMin (a object here, a scalar in the chart's values)",
    ]);
    assert.deepEqual(unknownPaths({ meshConfig: { trustDomian: "x" } }, defaults), [
      "meshConfig.trustDomian (not a MeshConfig field this test knows)",
    ]);
  });
});
