/**
 * The doctor against real faults: on the healthy mesh every check passes; then each fault a user
 * meets is injected into the real API servers, one at a time, and the doctor must name it with the
 * right check and hint, before the fault is undone and the mesh is healthy again.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CheckResult as DoctorResult } from "../doctor/check";
import type { CheckResult } from "./checks";
import type { RunningMember } from "./controlPlane";
import { waitUntil } from "./processes";

/** One `npm run mesh -- doctor --json` run: its exit code and results. */
export interface DoctorReport {
  exitCode: number;
  results: DoctorResult[];
}

interface Fault {
  name: string;
  /** The check that must fail, and what its hint must say. */
  expect: { member?: string; id: string; hint: RegExp };
  inject(): Promise<void>;
  /** Undoes the fault; undefined when it cannot be undone in place (the last one). */
  restore?(): Promise<void>;
}

const ns = "/api/v1/namespaces/istio-system";

/** An object as it can be created again: without what the API server set. */
function recreatable(object: Record<string, unknown>): Record<string, unknown> {
  const { name, namespace, labels, annotations } = object.metadata as Record<string, unknown>;
  return { ...object, metadata: { name, namespace, labels, annotations } };
}

/** A `cacerts` bundle under a root of its own, base64 as a Secret's `data` holds it: a member moved to another trust by mistake. */
function foreignCacerts(dir: string): Record<string, string> {
  fs.mkdirSync(dir, { recursive: true });
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  run(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "root.key",
    "-out",
    "root.pem",
    "-days",
    "2",
    "-subj",
    "/O=rehearsal fault/CN=Foreign Root CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
  );
  run("req", ...ec, "-keyout", "ca.key", "-out", "ca.csr", "-subj", "/O=rehearsal fault/CN=Foreign Intermediate CA");
  fs.writeFileSync(path.join(dir, "ca.ext"), "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
  run(
    "x509",
    "-req",
    "-in",
    "ca.csr",
    "-CA",
    "root.pem",
    "-CAkey",
    "root.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    "ca.ext",
    "-out",
    "ca.pem",
  );
  const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");
  const files = {
    "ca-cert.pem": read("ca.pem"),
    "ca-key.pem": read("ca.key"),
    "root-cert.pem": read("root.pem"),
    "cert-chain.pem": read("ca.pem") + read("root.pem"),
  };
  return Object.fromEntries(Object.entries(files).map(([key, value]) => [key, Buffer.from(value).toString("base64")]));
}

/** The four faults of the doctor's rehearsal, on the first two members; the last cannot be undone in place. */
function faults(a: RunningMember, b: RunningMember, workRoot: string): Fault[] {
  const saved: Record<string, Record<string, unknown>> = {};
  const save = async (key: string, api: RunningMember["api"], objectPath: string) => {
    const object = await api.get(objectPath);
    if (!object) throw new Error(`nothing to inject a fault into: ${objectPath} does not exist`);
    saved[key] = object;
    return object;
  };
  const remoteSecret = `${ns}/secrets/istio-remote-secret-${b.name}`;
  const gateway = `${ns}/services/istio-eastwestgateway`;
  return [
    {
      name: "a remote secret deleted",
      expect: { member: a.name, id: "links.remote-secrets", hint: new RegExp(`npm run mesh -- up --stacks ${a.name}`) },
      inject: async () => {
        await save("remote", a.api, remoteSecret);
        await a.api.delete(remoteSecret);
      },
      restore: () => a.api.create(`${ns}/secrets`, recreatable(saved.remote!)).then(() => undefined),
    },
    {
      name: "one member's cacerts replaced under another root",
      expect: { id: "trust.roots-agree", hint: /npm run mesh -- up/ },
      inject: async () => {
        await save("cacerts", b.api, `${ns}/secrets/cacerts`);
        await b.api.mergePatch(`${ns}/secrets/cacerts`, { data: foreignCacerts(path.join(workRoot, "faults", "foreign-ca")) });
      },
      restore: () => b.api.mergePatch(`${ns}/secrets/cacerts`, { data: saved.cacerts!.data }),
    },
    {
      name: "the gateway Service's address removed",
      expect: { member: b.name, id: "gateway", hint: new RegExp(`npm run mesh -- up --stacks ${b.name}`) },
      inject: async () => {
        await save("gateway", b.api, gateway);
        await b.api.mergePatch(gateway, { spec: { externalIPs: null } });
      },
      restore: () => b.api.mergePatch(gateway, { spec: { externalIPs: (saved.gateway!.spec as { externalIPs?: string[] }).externalIPs } }),
    },
    {
      name: "a reader token's Secret deleted",
      expect: { member: a.name, id: "links.reader-tokens", hint: /re-issue them: npm run mesh -- up --stacks/ },
      // Whatever its generation (components/mesh/readerToken.ts): every token Secret of the reader account.
      inject: async () => {
        const secrets = await b.api.list(`${ns}/secrets?fieldSelector=${encodeURIComponent("type=kubernetes.io/service-account-token")}`);
        const reader = secrets.filter(
          (secret) =>
            (secret.metadata as { annotations?: Record<string, string> }).annotations?.["kubernetes.io/service-account.name"] ===
            "istio-reader-service-account",
        );
        if (reader.length === 0) throw new Error(`nothing to inject a fault into: ${b.name} has no reader token Secret`);
        for (const secret of reader) await b.api.delete(`${ns}/secrets/${(secret.metadata as { name: string }).name}`);
      },
    },
  ];
}

const failing = (report: DoctorReport) => report.results.filter((r) => r.status !== "ok" && r.status !== "warn");
const listed = (results: readonly DoctorResult[]) =>
  results.map((r) => `${r.member ? `[${r.member}] ` : ""}${r.id} ${r.status}: ${r.detail}`).join("; ");

/**
 * The doctor on the healthy mesh, then under each fault. Between faults it waits, bounded, until the
 * doctor is healthy again: istiod takes a restored remote secret back within seconds.
 */
export async function checkDoctor(options: {
  members: readonly RunningMember[];
  workRoot: string;
  doctor(): Promise<DoctorReport>;
}): Promise<CheckResult[]> {
  const [a, b] = options.members;
  if (!a || !b) throw new Error("the doctor's faults need two members");
  const checks: CheckResult[] = [];
  const healthy = await options.doctor();
  checks.push({
    name: "npm run mesh -- doctor: every check ✓ on the healthy mesh (exit 0)",
    ok: healthy.exitCode === 0 && failing(healthy).length === 0,
    detail: healthy.exitCode === 0 ? `${healthy.results.length} checks` : `exit ${healthy.exitCode}: ${listed(failing(healthy))}`,
  });
  for (const fault of faults(a, b, options.workRoot)) {
    await fault.inject();
    const report = await options.doctor();
    const hit = report.results.find((r) => r.id === fault.expect.id && r.member === fault.expect.member);
    checks.push({
      name: `doctor under "${fault.name}": × ${fault.expect.member ? `[${fault.expect.member}] ` : ""}${fault.expect.id} with its hint (exit 1)`,
      ok: report.exitCode === 1 && hit?.status === "fail" && fault.expect.hint.test(hit.hint ?? ""),
      detail: hit
        ? `${hit.status}: ${hit.detail} → ${hit.hint ?? "(no hint)"}`
        : `no ${fault.expect.id} result; ${listed(failing(report))}`,
    });
    if (!fault.restore) continue;
    await fault.restore();
    let last = report;
    const recovered = await waitUntil(
      `the doctor to pass again after "${fault.name}" was undone`,
      60_000,
      async () => (last = await options.doctor()).exitCode === 0,
      2000,
    ).then(
      () => true,
      () => false,
    );
    if (!recovered)
      checks.push({ name: `the mesh is healthy again after "${fault.name}" was undone`, ok: false, detail: listed(failing(last)) });
  }
  return checks;
}
