import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { loadConfig } from "../../config";
import { homeCapacity } from "../../components/traffic/drillJob";
import {
  compareShares,
  drillLoad,
  drillLoadMultiple,
  kindMembers,
  kindStackConfig,
  kindStackFile,
  localMembers,
  parseDrillShares,
  readProjectServices,
  runLocalMesh,
} from "../../scripts/localMesh";
import { fakeCaData } from "../support/mocks/clouds";
import { stackTrace, tsScript } from "../support/scripts";
import { skipBecause } from "../support/skip";
import { encodeConfig, repoRoot } from "../support/stackFiles";

const project = readProjectServices();
const { home, burst } = kindMembers;

/** What `kind get kubeconfig` prints: the API server on a local port, a client certificate inline. */
const kindKubeconfig = toYaml({
  apiVersion: "v1",
  kind: "Config",
  clusters: [{ name: `kind-${home}`, cluster: { server: "https://127.0.0.1:39551", "certificate-authority-data": fakeCaData(home) } }],
  contexts: [{ name: `kind-${home}`, context: { cluster: `kind-${home}`, user: `kind-${home}` } }],
  users: [{ name: `kind-${home}`, user: { "client-certificate-data": "Y2VydA==", "client-key-data": "a2V5" } }],
  "current-context": `kind-${home}`,
});

const report = `== who answered: 812 requests sampled during the load ==
  kind-home                home              540   66.5%
  kind-burst               other cloud       260   32.0%
  failed-503               failed             12    1.5%

SHARES home=0.662 other=0.318 failed=0.020
RESULT: overflow observed: 260 of 812 sampled answers came from outside kind-home
`;

/** What kind-up.sh sets with `pulumi config set` besides the kubeconfig: the API server URL and kind's network. */
const kindUpSettings = { "burstmesh:apiServerUrl": "https://172.18.0.3:6443", "burstmesh:egressCidrs": JSON.stringify(["172.18.0.0/16"]) };

describe("the local kind mesh", () => {
  describe("the stack files kind-up.sh writes", () => {
    const homeConfig = kindStackConfig(home, burst, project);

    it("are accepted by the program once kind-up has set the kubeconfig, the API server URL and the egress CIDRs", () => {
      for (const [member, peer] of [
        [home, burst],
        [burst, home],
      ] as const) {
        const config = loadConfig(
          {
            ...encodeConfig(kindStackConfig(member, peer, project)),
            "burstmesh:kubeconfig": kindKubeconfig,
            ...kindUpSettings,
          },
          undefined,
          [],
        );
        assert.ok(config.role === "cluster" && config.cluster.cloud === "existing");
        assert.equal(config.cluster.gatewayService, "LoadBalancer");
        assert.deepEqual(config.cluster.peers, [peer]);
        assert.equal(config.cluster.region, member);
        assert.equal(config.drill.enabled, false, "the drill waits until the mesh is wired");
      }
    });

    it("home every service in kind-home and run both clusters at their HPA ceiling, the steady state the model predicts", () => {
      const config = loadConfig({ ...encodeConfig(homeConfig), "burstmesh:kubeconfig": kindKubeconfig, ...kindUpSettings }, undefined, []);
      assert.ok(config.role === "cluster");
      assert.ok(config.services.length > 0);
      for (const service of config.services) {
        assert.equal(service.homeCluster, home);
        assert.equal(service.home.minReplicas, service.home.maxReplicas);
        assert.equal(service.standby.minReplicas, service.standby.maxReplicas);
      }
    });

    it("add the kind members to the project's members", () => {
      assert.deepEqual(localMembers(project), [...project.members, home, burst]);
      assert.deepEqual(homeConfig["burstmesh:members"], localMembers(project));
    });

    it("size the drill to 1.5 times the home capacity, in the home member only", () => {
      const drill = homeConfig["burstmesh:drill"] as { connections: number; service: string };
      const config = loadConfig({ ...encodeConfig(homeConfig), "burstmesh:kubeconfig": kindKubeconfig, ...kindUpSettings }, undefined, []);
      assert.ok(config.role === "cluster");
      const service = config.services.find((candidate) => candidate.name === drill.service)!;
      assert.equal(drill.connections, Math.ceil(drillLoadMultiple * homeCapacity(service)!));
      assert.equal(kindStackConfig(burst, home, project)["burstmesh:drill"], undefined);
      const load = drillLoad(homeConfig);
      assert.equal(load.service, drill.service);
      assert.ok(Math.abs(load.load - drillLoadMultiple) < 0.01, `load ${load.load}`);
    });

    it("is written as YAML with a header naming its origin", () => {
      const text = kindStackFile(home, burst, project);
      assert.match(text, /^# Member 'kind-home' of the local kind mesh, written by scripts\/kind-up\.sh\./);
      assert.deepEqual((parseYaml(text) as { config: unknown }).config, homeConfig);
    });
  });

  describe("the drill against the model", () => {
    it("reads the drill report's shares", () => {
      assert.deepEqual(parseDrillShares(report), { home: 0.662, other: 0.318, failed: 0.02 });
      assert.throws(() => parseDrillShares("RESULT: no overflow observed"), /no 'SHARES home=… other=… failed=…' line/);
    });

    const predicted = { load: 1.5, home: 0.667, remote: 0.33, failed: 0.003, remoteCapacity: 1 };

    it("passes when every share is within the tolerance", () => {
      const verdict = compareShares(parseDrillShares(report), predicted, 0.1);
      assert.equal(verdict.ok, true);
      assert.match(verdict.lines.join("\n"), /RESULT: the live shares match the model/);
    });

    it("fails, naming the share, when one is further than the tolerance", () => {
      const verdict = compareShares({ home: 0.9, other: 0.05, failed: 0.05 }, predicted, 0.1);
      assert.equal(verdict.ok, false);
      const text = verdict.lines.join("\n");
      assert.match(text, /home\s+90\.0%\s+66\.7%\s+23\.3%\s+<- beyond the tolerance/);
      assert.match(text, /other cloud\s+5\.0%\s+33\.0%\s+-28\.0%\s+<- beyond the tolerance/);
      assert.doesNotMatch(text, /failed .*beyond/);
    });
  });

  describe("the scripts", () => {
    const scripts = ["kind-up.sh", "kind-down.sh"].map((name) => path.join(repoRoot, "scripts", name));

    it("parse as bash", () => {
      for (const script of scripts) execFileSync("bash", ["-n", script]);
    });

    it("pass shellcheck where it is installed", function () {
      if (spawnSync("shellcheck", ["--version"]).status !== 0) skipBecause(this, "shellcheck is not installed");
      for (const script of scripts) {
        const result = spawnSync("shellcheck", [script], { encoding: "utf8" });
        assert.equal(result.status, 0, result.stdout);
      }
    });
  });

  describe("localMesh.ts", () => {
    it("--help prints its usage with every command and exits 0", () => {
      const run = tsScript("localMesh.ts", ["--help"]);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stderr, "");
      assert.match(run.stdout, /^Usage: npx ts-node --transpile-only scripts\/localMesh\.ts <command>\n/);
      for (const command of ["stack-file <member> <peer>", "members", "check --report <file> [--tolerance 0.1]"]) {
        assert.ok(run.stdout.includes(`\n  ${command}`), command);
      }
    });

    it("answers bad input with the problem and the usage, exit 2, not a stack trace", () => {
      for (const [args, problem] of [
        [["--bogus"], /^localMesh: Unknown option '--bogus'/],
        [["check"], /^localMesh: check: --report <file> is required/],
        [["check", "--report", "no-such-report.txt"], /^localMesh: --report: there is no file 'no-such-report.txt'/],
        [["stack-file", "kind-home"], /^localMesh: unknown command or wrong arguments: 'stack-file kind-home'/],
        [[], /^localMesh: a command is required/],
      ] as const) {
        let stdout = "";
        let stderr = "";
        const status = runLocalMesh([...args], { out: (text) => (stdout += text), err: (text) => (stderr += text) });
        assert.equal(status, 2, args.join(" "));
        assert.equal(stdout, "", args.join(" "));
        assert.match(stderr, problem);
        assert.match(stderr, /\n\nUsage: /);
        assert.doesNotMatch(stderr, stackTrace);
      }
    });

    it("run as a script, exits with that code and prints no stack trace", () => {
      const run = tsScript("localMesh.ts", ["--bogus"]);
      assert.equal(run.status, 2);
      assert.match(run.stderr, /^localMesh: Unknown option '--bogus'.*\n\nUsage: /);
      assert.doesNotMatch(run.stderr, stackTrace);
    });
  });
});
