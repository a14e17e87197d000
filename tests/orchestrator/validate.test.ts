import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { CliDeps, main } from "../../orchestrator/cli";
import { describeFinding, validateMesh } from "../../orchestrator/validate";
import { repoRoot } from "../support/stackFiles";
import { CapturedLog } from "./fakeMesh";
import { scratchRepo } from "./freshMachine";

/** Rewrites one stack file's config in a scratch repository (a value of `undefined` removes the key). */
function editStack(dir: string, stack: string, changes: Record<string, unknown>): void {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  const document = (fs.existsSync(file) ? parseYaml(fs.readFileSync(file, "utf8")) : null) ?? {};
  const config: Record<string, unknown> = { ...(document.config ?? {}) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete config[key];
    else config[key] = value;
  }
  fs.writeFileSync(file, toYaml({ ...document, config }));
}

function findings(dir: string): string[] {
  return validateMesh(dir).findings.map(describeFinding);
}

/** A CLI whose every online step fails the test: validate must answer from the files alone. */
function offlineDeps(dir: string): CliDeps & { log: CapturedLog } {
  const forbidden = () => assert.fail("validate touched the CLI, a backend or a workspace");
  return {
    repoRoot: dir,
    env: {},
    log: new CapturedLog(),
    findCli: forbidden,
    installCli: forbidden,
    storedLogin: forbidden,
    workspace: forbidden,
  };
}

describe("orchestrator validate", () => {
  let dir: string;
  beforeEach(() => {
    dir = scratchRepo();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("passes on the repository's own stacks", () => {
    assert.deepEqual(findings(repoRoot), []);
  });

  it("answers offline, in JSON when asked, and exits non-zero on a finding", async () => {
    const clean = offlineDeps(dir);
    assert.equal(await main(["validate", "--json"], clean), 0);
    assert.deepEqual(JSON.parse(clean.log.all), { ok: true, stacks: ["trust", "aks", "eks"], findings: [] });

    editStack(dir, "eks", { "burstmesh:natGateway": "single" });
    const broken = offlineDeps(dir);
    assert.equal(await main(["validate"], broken), 1);
    assert.match(
      broken.log.all,
      /error: Pulumi\.eks\.yaml: burstmesh:natGateway: is not a known setting; did you mean 'burstmesh:natGateways'\?/,
    );
  });

  it("runs before preview and up reach for the CLI, and stops them", async () => {
    editStack(dir, "aks", { "burstmesh:observabilty": { enabled: false } });
    for (const command of ["preview", "up"]) {
      const deps = offlineDeps(dir);
      assert.equal(await main([command], deps), 1);
      assert.match(deps.log.all, /error: Pulumi\.aks\.yaml: burstmesh:observabilty: is not a known setting/);
      assert.match(deps.log.all, new RegExp(`${command} stopped: fix the 1 finding\\(s\\) above`));
    }
  });

  it("only warns before destroy, so a broken stack file never blocks a teardown", async () => {
    editStack(dir, "aks", { "burstmesh:observabilty": { enabled: false } });
    const deps = { ...offlineDeps(dir), findCli: () => Promise.reject(new Error("no CLI here")) };
    await main(["destroy", "--yes"], deps);
    assert.match(deps.log.all, /warning: Pulumi\.aks\.yaml: burstmesh:observabilty/);
    assert.match(deps.log.all, /no CLI here/, "destroy went on to the CLI");
  });

  it("leaves encrypted values to preview, and flags credentials stored in plain text", () => {
    editStack(dir, "eks", { "burstmesh:cloud": "existing", "burstmesh:kubeconfig": { secure: "v1:abc" } });
    assert.ok(!findings(dir).some((f) => f.includes("burstmesh:kubeconfig")), findings(dir).join("\n"));
    editStack(dir, "eks", { "burstmesh:kubeconfig": "apiVersion: v1\nkind: Config\n" });
    assert.ok(findings(dir).some((f) => /burstmesh:kubeconfig: is stored in plain text/.test(f)));
  });

  const meshCases: [string, (dir: string) => void, RegExp][] = [
    [
      "a stack file that is no member",
      (d) => editStack(d, "gke", { "burstmesh:cloud": "aws", "aws:region": "eu-west-1", "burstmesh:clusterName": "gke" }),
      /^Pulumi\.gke\.yaml: is a cluster stack, but 'gke' is not one of burstmesh:members \(eks, aks\); add it there, or remove the file$/,
    ],
    [
      "a member without a stack file",
      (d) => fs.rmSync(path.join(d, "Pulumi.aks.yaml")),
      /^burstmesh:members: lists 'aks', which has no stack file Pulumi\.aks\.yaml$/,
    ],
    [
      "a network two members share",
      (d) => editStack(d, "aks", { "burstmesh:network": "network-eks" }),
      /^Pulumi\.(aks|eks)\.yaml: burstmesh:network: 'network-eks' is also the network of (aks|eks); every member has its own$/,
    ],
    [
      "a cluster name that is not its stack's name",
      (d) => editStack(d, "aks", { "burstmesh:clusterName": "azure1", "burstmesh:members": ["eks", "azure1"] }),
      /^Pulumi\.aks\.yaml: burstmesh:clusterName: is 'azure1', but peers find a cluster by its stack name; name it 'aks'$/,
    ],
    [
      "a peering one way only",
      (d) => editStack(d, "aks", { "burstmesh:peers": [] }),
      /^Pulumi\.eks\.yaml: burstmesh:peers: peers with 'aks', but Pulumi\.aks\.yaml's burstmesh:peers leaves out 'eks'; peering goes both ways$/,
    ],
    [
      "egress CIDRs two members share",
      (d) => {
        editStack(d, "eks", { "burstmesh:egressCidrs": ["203.0.113.0/24"] });
        editStack(d, "aks", { "burstmesh:egressCidrs": ["203.0.113.16/28"] });
      },
      /^Pulumi\.(aks|eks)\.yaml: burstmesh:egressCidrs: 203\.0\.113\.(16\/28|0\/24) overlaps 203\.0\.113\.(0\/24|16\/28) of (eks|aks); peers tell members apart by their egress, so each needs its own$/,
    ],
    [
      "mesh-wide settings that differ",
      (d) => editStack(d, "eks", { "burstmesh:meshId": "other" }),
      /^burstmesh:meshId: differs between stacks \(trust: "burstmesh"; aks: "burstmesh"; eks: "other"\); set it once, in Pulumi\.yaml$/,
    ],
    [
      "a trust stack that is a member",
      (d) => {
        fs.renameSync(path.join(d, "Pulumi.trust.yaml"), path.join(d, "Pulumi.eks-ca.yaml"));
        for (const stack of ["eks-ca", "eks", "aks"]) editStack(d, stack, { "burstmesh:trustStack": "eks" });
      },
      /^burstmesh:trustStack: is 'eks', but the stack file with burstmesh:role: trust is Pulumi\.eks-ca\.yaml$/,
    ],
    [
      "two observers",
      (d) => editStack(d, "aks", { "burstmesh:observability": { observer: "aks" } }),
      /^burstmesh:observability\.observer: differs between stacks \(aks: aks; eks: eks\); the mesh has one observer$/,
    ],
    [
      "a misspelt key deep in a section",
      (d) =>
        editStack(d, "aks", {
          "burstmesh:nodePool": { vmSize: "Standard_D4s_v5", minCount: 2, desiredCount: 3, maxCount: 6, diskSizeGb: 64, maxCont: 9 },
        }),
      /^Pulumi\.aks\.yaml: burstmesh:nodePool\.maxCont: is not a known setting; did you mean 'maxCount'\?$/,
    ],
    [
      "a stack file that is not YAML",
      (d) => fs.writeFileSync(path.join(d, "Pulumi.aks.yaml"), "config: [\n"),
      /cannot read Pulumi\.aks\.yaml/,
    ],
  ];
  for (const [what, breakIt, expected] of meshCases) {
    it(`refuses ${what}`, () => {
      breakIt(dir);
      const found = findings(dir);
      assert.ok(
        found.some((f) => expected.test(f)),
        `expected ${expected}\ngot:\n  ${found.join("\n  ")}`,
      );
    });
  }

  it("checks the mesh the named stacks form, and only theirs", () => {
    for (const stack of ["kind-home", "kind-burst"]) {
      const peer = stack === "kind-home" ? "kind-burst" : "kind-home";
      fs.copyFileSync(path.join(dir, "Pulumi.eks.yaml"), path.join(dir, `Pulumi.${stack}.yaml`));
      editStack(dir, stack, {
        "burstmesh:clusterName": stack,
        "burstmesh:network": `network-${stack}`,
        "burstmesh:peers": [peer],
        "burstmesh:members": ["eks", "aks", "kind-home", "kind-burst"],
      });
    }
    editStack(dir, "trust", { "burstmesh:members": ["eks", "aks", "kind-home", "kind-burst"] });
    assert.deepEqual(validateMesh(dir, ["trust", "kind-home", "kind-burst"]).findings.map(describeFinding), []);
    assert.ok(
      findings(dir).some((f) => /burstmesh:members: differs between stacks/.test(f)),
      "all stacks together disagree",
    );
    assert.deepEqual(validateMesh(dir, ["gke"]).findings.map(describeFinding), [
      "unknown stack(s) gke; the stack files define trust, aks, eks, kind-burst, kind-home",
    ]);
  });

  it("also refuses a trust stack named like a member", () => {
    for (const stack of ["trust", "eks", "aks"]) editStack(dir, stack, { "burstmesh:trustStack": "aks" });
    assert.ok(findings(dir).includes("burstmesh:trustStack: 'aks' is also one of burstmesh:members; the trust stack holds no cluster"));
  });
});
