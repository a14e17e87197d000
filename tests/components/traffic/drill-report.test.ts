import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { drillReportFile } from "../../../components/traffic/drillJob";

/**
 * The drill's report script, run with bash as the Job runs it, on recorded answers: a stand-in
 * `curl` on PATH replays podinfo's answers one per call and, once they are used up, "ends the load"
 * by putting a recorded fortio result where the script waits for it.
 */
describe("the drill's report script", function () {
  this.timeout(20_000);
  const script = path.join(__dirname, "..", "..", "..", "components", "traffic", drillReportFile);
  const fixtures = path.join(__dirname, "..", "..", "fixtures", "drill");

  /** podinfo's answer to `GET /` (indented JSON), as curl prints it with `-w '\n%{http_code}'`. */
  const podinfo = (cluster: string) =>
    `{\n  "hostname": "podinfo-7d9c6b5f4-x2x8q",\n  "version": "6.14.1",\n  "message": "${cluster}",\n  "goos": "linux"\n}\n200`;
  const failed = (code: string) => (code === "000" ? "\n000" : `upstream connect error or disconnect/reset before headers\n${code}`);

  function run(replies: string[], fortioResult: string | undefined, sampleSeconds = 60): { stdout: string; quits: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "drill-report-"));
    try {
      const replyDir = path.join(dir, "replies");
      fs.mkdirSync(replyDir);
      replies.forEach((reply, index) => fs.writeFileSync(path.join(replyDir, String(index + 1)), reply));
      const fakeCurl = path.join(dir, "curl");
      fs.writeFileSync(
        fakeCurl,
        `#!/usr/bin/env bash
for arg in "$@"; do [ "$arg" = "POST" ] && { echo "$*" >> "${dir}/quits"; exit 0; }; done
count=$(( $(cat "${dir}/count" 2>/dev/null || echo 0) + 1 ))
echo "$count" > "${dir}/count"
if [ -f "${replyDir}/$count" ]; then cat "${replyDir}/$count"; exit 0; fi
${fortioResult ? `cp "${fortioResult}" "$RESULT"` : ""}
printf '\\n000'
`,
        { mode: 0o755 },
      );
      const result = spawnSync("bash", [script], {
        encoding: "utf8",
        env: {
          PATH: `${dir}:${process.env.PATH}`,
          TARGET: "http://podinfo.podinfo.svc.cluster.local:9898/",
          HOME_CLUSTER: "eks",
          RESULT: path.join(dir, "fortio.json"),
          ANSWERS: path.join(dir, "answers.txt"),
          SAMPLE_SECONDS: String(sampleSeconds),
          LOAD_LOGS: "kubectl logs job/overflow-drill -n podinfo -c load",
          NO_OVERFLOW_HINT: "raise burstmesh:drill.connections",
          LIVE_PANEL: 'Grafana, dashboard "burstmesh Overflow: podinfo", panel "Requests served per cluster"',
          QUIT_URL: "http://127.0.0.1:15020/quitquitquit",
        },
      });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stderr, "");
      const quitsFile = path.join(dir, "quits");
      return { stdout: result.stdout, quits: fs.existsSync(quitsFile) ? fs.readFileSync(quitsFile, "utf8") : "" };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  const times = (count: number, reply: string) => Array.from({ length: count }, () => reply);

  it("an overflow: the shares home, other cloud and failed, fortio's codes, and the verdict", () => {
    const replies = [...times(7, podinfo("eks")), ...times(2, podinfo("aks")), failed("503")];
    const { stdout, quits } = run(replies, path.join(fixtures, "fortio-overflow.json"));
    // The last sample is the call during which the load ended (no answer: a failed-000), so 11 samples.
    assert.match(stdout, /== who answered: 11 requests sampled during the load ==/);
    assert.match(stdout, /^ {2}eks +home +7 +63\.6%$/m);
    assert.match(stdout, /^ {2}aks +other cloud +2 +18\.2%$/m);
    assert.match(stdout, /^ {2}failed-503 +failed +1 +9\.1%$/m);
    assert.match(stdout, /^ {4}200 +168300$/m);
    assert.match(
      stdout,
      /^LIVE: the same split over time: Grafana, dashboard "burstmesh Overflow: podinfo", panel "Requests served per cluster"/m,
    );
    assert.match(stdout, /^ {4}503 +1700$/m);
    assert.match(stdout, /"ActualQPS": 2841\.3/);
    // failed from fortio: 1700 / 170000; served split 7 : 2 as sampled.
    assert.match(stdout, /^SHARES home=0\.770 other=0\.220 failed=0\.010$/m);
    assert.match(stdout, /^RESULT: overflow observed: 2 of 11 sampled answers came from outside eks$/m);
    assert.match(quits, /-X POST http:\/\/127\.0\.0\.1:15020\/quitquitquit/, "the sidecar is told to quit");
  });

  it("no overflow: everything served home, and the hint says what to change", () => {
    const { stdout } = run(times(5, podinfo("eks")), path.join(fixtures, "fortio-home-only.json"));
    assert.match(stdout, /^SHARES home=1\.000 other=0\.000 failed=0\.000$/m);
    assert.match(stdout, /^RESULT: no overflow observed: no sampled answer came from outside eks$/m);
    assert.match(stdout, /^ {2}raise burstmesh:drill\.connections$/m);
  });

  it("a failed load: every request failed, and the report says so instead of blaming the load size", () => {
    const { stdout } = run([...times(3, failed("503")), ...times(2, failed("000"))], path.join(fixtures, "fortio-failed.json"));
    assert.match(stdout, /^ {4}-1 +1200$/m, "fortio's socket errors are listed");
    assert.match(stdout, /^SHARES home=0\.000 other=0\.000 failed=1\.000$/m);
    assert.match(stdout, /^RESULT: every sampled request failed: is the service up and reachable through the mesh\?$/m);
    assert.doesNotMatch(stdout, /no overflow observed/);
  });

  it("no result from the load container: says where to look, and claims no shares", () => {
    const { stdout } = run([], undefined, 0);
    assert.match(stdout, /no result from the load container; see: kubectl logs job\/overflow-drill -n podinfo -c load/);
    assert.match(stdout, /^SHARES unknown: no request was sampled and fortio reported nothing$/m);
  });
});
