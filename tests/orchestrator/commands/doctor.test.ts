import { strict as assert } from "node:assert";
import { doctorCommand, expectedMesh, parseIstiodUrls } from "../../../orchestrator/commands/doctor";
import type { Invocation } from "../../../orchestrator/commands/command";
import { noOptions } from "../../../orchestrator/cli";
import type { ToolRunner } from "../../../orchestrator/preflight";
import type { MeshPlan } from "../../../orchestrator/ports";
import { validateMesh } from "../../../orchestrator/validate";
import { repoRoot } from "../../support/stackFiles";
import { CapturedLog, plain, twoClusterMesh } from "../fakeMesh";

/** The repository's own stacks, as `npm run mesh` plans them. */
function repoPlan(): MeshPlan {
  const { layout, configs } = validateMesh(repoRoot);
  assert.ok(layout);
  return { trust: layout.trust, clusters: layout.clusters, selection: { trust: layout.trust, clusters: layout.clusters }, configs };
}

const invocation = (overrides: Partial<Invocation> = {}): Invocation => ({ ...noOptions, maxPasses: 1, ...overrides });

const settled = { cliVersion: "v3.200.0", backend: "file:///state (PULUMI_BACKEND_URL)", secretsProvider: "passphrase" };
const noTools: ToolRunner = () => assert.fail("no tool may run");

describe("doctor (command)", () => {
  it("holds the members to their stack files: network, peers, cloud, gateway CIDRs, and the mesh-wide identity", () => {
    const mesh = expectedMesh(repoPlan(), new Map());
    assert.equal(mesh.meshId, "burstmesh");
    assert.equal(mesh.trustDomain, "cluster.local");
    assert.deepEqual(
      mesh.members.map(({ name, cloud, network, peers }) => ({ name, cloud, network, peers })),
      [
        { name: "aks", cloud: "azure", network: "network-aks", peers: ["eks"] },
        { name: "eks", cloud: "aws", network: "network-eks", peers: ["aks"] },
      ],
    );
  });

  it("holds a member whose stack file does not validate offline (encrypted values) to what its stack deployed", () => {
    const plan = repoPlan();
    const configs = new Map(plan.configs);
    configs.delete("eks");
    const outputs = new Map([["eks", { cloud: plain("aws"), network: plain("network-eks"), linkedPeers: plain(["aks"]) }]]);
    const eks = expectedMesh({ ...plan, configs }, outputs).members.find((m) => m.name === "eks");
    assert.deepEqual(eks, {
      name: "eks",
      cloud: "aws",
      network: "network-eks",
      peers: ["aks"],
      gatewayAllowedCidrs: [],
      published: undefined,
    });
  });

  it("says it could not check a member whose stack has published no kubeconfig, with the command that fixes it, and exits 2", async () => {
    const log = new CapturedLog();
    const code = await doctorCommand.run(
      { workspace: twoClusterMesh(), log, plan: repoPlan(), settled, runTool: noTools },
      invocation({ json: true }),
    );
    assert.equal(code, 2);
    const report = JSON.parse(log.lines.join("\n")) as {
      exitCode: number;
      results: { id: string; member: string; status: string; hint: string }[];
    };
    assert.equal(report.exitCode, 2);
    assert.deepEqual(
      report.results.map((r) => [r.member, r.id, r.status]),
      [
        ["aks", "member.reachable", "unknown"],
        ["eks", "member.reachable", "unknown"],
      ],
    );
    assert.match(report.results[1]!.hint, /npm run mesh -- up --stacks eks/);
  });

  it("--pre: reports the settled CLI, backend and secrets, asks each cloud's CLI, and says why a check cannot run", async () => {
    const asked: string[] = [];
    const runTool: ToolRunner = async (command, args) => {
      asked.push(`${command} ${args.slice(0, 2).join(" ")}`);
      if (command === "az") throw Object.assign(new Error("spawn az ENOENT"), { code: "ENOENT" });
      if (args[0] === "sts") return { code: 0, stdout: JSON.stringify({ Arn: "arn:aws:iam::123456789012:user/platform" }), stderr: "" };
      return { code: 254, stdout: "", stderr: "An error occurred (AccessDeniedException) when calling GetServiceQuota\nmore" };
    };
    const log = new CapturedLog();
    const code = await doctorCommand.run(
      { workspace: twoClusterMesh(), log, plan: repoPlan(), settled, runTool },
      invocation({ pre: true }),
    );
    const text = log.all;
    assert.match(text, /✓ Pulumi CLI: pulumi v3\.200\.0/);
    assert.match(text, /✓ backend reachable: file:\/\/\/state \(PULUMI_BACKEND_URL\); trust stack not created yet/);
    assert.match(text, /✓ AWS sign-in: signed in as arn:aws:iam::123456789012:user\/platform/);
    assert.match(
      text,
      /× vCPU quota in .* \(eks\): An error occurred \(AccessDeniedException\) when calling GetServiceQuota\n {4}→ request a quota increase/,
    );
    assert.match(text, /\? Azure sign-in: cannot check: the az CLI is not on PATH/);
    assert.deepEqual(asked, ["aws sts get-caller-identity", "aws service-quotas get-service-quota", "az account show", "az vm list-usage"]);
    assert.equal(code, 1, "a failed check is a problem");
  });

  it("takes --istiod-url member=url for members only, once each", () => {
    assert.deepEqual([...parseIstiodUrls(["eks=http://127.0.0.1:8080/debug/"], ["eks", "aks"])], [["eks", "http://127.0.0.1:8080/debug"]]);
    assert.throws(() => parseIstiodUrls(["gke=http://x/debug"], ["eks"]), /'gke' is not a member \(eks\)/);
    assert.throws(() => parseIstiodUrls(["eks"], ["eks"]), /takes member=http:\/\/host:port\/debug/);
  });
});
