import { strict as assert } from "node:assert";
import { recordedServices } from "../support/xdsDumps";
import { projectServices } from "../support/projectServices";
import { runOverflowCli, UsageError } from "../../scripts/overflowCli";
import { SweepRow } from "../../model/scenarios";
/** The recorded dumps by file name (`<service>.json` is that service's home pod's dump, as istioctl writes one). */
function recordedFile(file: string): string {
  const fixture = recordedServices()[file.replace(/\.json$/, "")];
  if (!fixture) throw new Error(`ENOENT: no such file, open '${file}'`);
  return JSON.stringify(fixture.dump);
}

describe("scripts/overflowCli: npm run overflow on the default podinfo", function () {
  this.timeout(30_000);
  const { members, services } = projectServices();
  // The old recipe's dynamics run on Envoy's clock (5 s sweeps, 15 s ejections): it needs a
  // realistic request rate, and so a shorter service time.

  describe("npm run overflow", () => {
    const run = (argv: string[]) => {
      const out: string[] = [];
      const files = new Map<string, string>();
      runOverflowCli(argv, services, members, {
        out: (text) => out.push(text),
        writeFile: (file, content) => files.set(file, content),
        readFile: (file) => recordedFile(file),
      });
      return { out, files };
    };
    // Short runs: the shares depend on the load, not on the time scale.
    const quick = ["--service-time", "1s", "--seconds", "5"];

    it("sweep --json prints exactly one JSON array of { load, home, remote, failed, remoteCapacity } and writes no plot", () => {
      const { out, files } = run(["sweep", "--service", "podinfo", "--loads", "0.5,2", "--json", ...quick]);
      assert.equal(out.length, 1);
      const rows = JSON.parse(out[0]!) as SweepRow[];
      assert.deepEqual(
        rows.map((row) => Object.keys(row)),
        [
          ["load", "home", "remote", "failed", "remoteCapacity"],
          ["load", "home", "remote", "failed", "remoteCapacity"],
        ],
      );
      assert.deepEqual(
        rows.map((row) => row.load),
        [0.5, 2],
      );
      assert.deepEqual([...files.keys()], [], "no overflow-sweep-podinfo.svg written over");
    });

    it("sweep --json --svg <file> prints the JSON and writes the plot there", () => {
      const { out, files } = run(["sweep", "--service", "podinfo", "--loads", "0.5,2", "--json", "--svg", "x.svg", ...quick]);
      assert.equal(JSON.parse(out.join("")).length, 2);
      assert.deepEqual([...files.keys()], ["x.svg"]);
      const svg = files.get("x.svg")!;
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.equal(svg.match(/<polygon /g)?.length, 3, "home, other cloud, failed");
    });

    it("sweep of one load prints its row and writes no plot (an area over one load has no width); refuses --svg then", () => {
      const { out, files } = run(["sweep", "--service", "podinfo", "--loads", "1.5", ...quick]);
      assert.match(out[1]!, /^load .*\n1\.50 /);
      assert.equal(out[2], "plot: none (one load; a plot needs two or more)");
      assert.deepEqual([...files.keys()], []);
      assert.throws(
        () => run(["sweep", "--service", "podinfo", "--loads", "1.5,1.5", "--svg", "x.svg"]),
        /--svg: a plot needs two or more loads, --loads has one \(1\.5\)/,
      );
    });

    it("sweep without --json writes the plot to overflow-sweep-<service>.svg by default", () => {
      const { out, files } = run(["sweep", "--service", "podinfo", "--loads", "0.5,2", ...quick]);
      assert.deepEqual([...files.keys()], ["overflow-sweep-podinfo.svg"]);
      assert.equal(out.at(-1), "plot: overflow-sweep-podinfo.svg");
    });

    it("sweep prints a text table with the ideal home share beside the model's", () => {
      const { out } = run(["sweep", "--service", "podinfo", "--loads", "1.5,2", ...quick, "--svg", "x.svg"]);
      assert.match(out[0]!, /^podinfo: home 6 pods x 32 in flight; the other cloud 1\.00x that at its ceiling; 3 retries \(4 tries\)$/);
      assert.match(
        out[1]!,
        /^load +home +other cloud +failed +ideal home\n1\.50 +\d+\.\d% +\d+\.\d% +\d+\.\d\d% +66\.7%\n2\.00 +\d+\.\d% +\d+\.\d% +\d+\.\d\d% +50\.0%$/,
      );
      assert.equal(out[2], "plot: x.svg");
    });

    it("names what is wrong with the input", () => {
      assert.throws(
        () => run(["sweep", "--service", "web"]),
        (error: unknown) => error instanceof UsageError && /'web' is not one of burstmesh:services \(podinfo\)/.test(error.message),
      );
      assert.throws(() => run(["sweep"]), /--service is required: the name of one of burstmesh:services \(podinfo\)$/);
      assert.throws(() => run([]), /a command is required: sweep or surge/);
      assert.throws(() => run(["surge", "--service", "podinfo", "--json"]), /--json: only sweep prints JSON/);
      assert.throws(() => run(["sweep", "--service", "podinfo", "--loads", "1,x"]), /--loads: expected a positive number, got 'x'/);
      assert.throws(() => run(["spill", "--service", "podinfo"]), /unknown command 'spill': expected sweep or surge/);
      assert.throws(() => run(["surge", "--service", "podinfo", "--ramp", "a minute"]), /--ramp: expected a duration/);
    });

    it("sweep --envoy-config reads the policy from what istiod sent (the rehearsal's dumps) and predicts what the objects do", () => {
      const sweepJson = (extra: string[]) =>
        JSON.parse(run(["sweep", "--service", "podinfo", "--loads", "0.9,2", "--json", ...quick, ...extra]).out[0]!) as SweepRow[];
      assert.deepEqual(sweepJson(["--envoy-config", "podinfo.json"]), sweepJson([]));
      assert.deepEqual(sweepJson(["--envoy-config", "podinfo.json,podinfo.json"]), sweepJson([]), "a client's dump, then a pod's");
    });

    it("--envoy-config names what is wrong with the dumps", () => {
      const sweepWith =
        (...extra: string[]) =>
        () =>
          run(["sweep", "--service", "podinfo", "--json", ...quick, ...extra]);
      assert.throws(
        sweepWith("--envoy-config", "a.json,b.json,c.json"),
        /--envoy-config: expected a pod's dump, or a client's and a pod's/,
      );
      assert.throws(sweepWith("--envoy-config", "podinfo.json", "--recipe", "ejection"), /drop --recipe ejection/);
      assert.throws(
        sweepWith("--envoy-config", "failover-web.json"),
        /--envoy-config: the config dump has no cluster 'outbound\|9898\|\|podinfo/,
      );
      assert.throws(
        sweepWith("--envoy-config", "podinfo.json,failover-web.json"),
        /--envoy-config: the pod's inbound cluster has no per-pod limit \(max_requests unlimited\): only overflow mode can be modelled/,
      );
      assert.throws(sweepWith("--envoy-config", "podinfo.json,missing.json"), /--envoy-config: missing.json is not a JSON config dump/);
    });
  });
});
