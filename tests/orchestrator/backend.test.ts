import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  chooseBackend,
  LOCAL_STATE_DIR,
  passphraseByDefault,
  prepareBackend,
  readStoredLogin,
  strandedStateWarning,
} from "../../orchestrator/backend";
import { LayoutError } from "../../orchestrator/discovery";
import { LOCAL_CLI_DIR } from "../../orchestrator/pulumiCli";
import { repoRoot } from "../support/stackFiles";
import { scratchRepo } from "./freshMachine";

describe("the backend", () => {
  let dir: string;
  beforeEach(() => (dir = scratchRepo()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("uses what is configured, in the Pulumi CLI's order", () => {
    const all = { PULUMI_BACKEND_URL: "s3://from-env", PULUMI_ACCESS_TOKEN: "pul-token" };
    const pick = (env: Record<string, string>, projectBackendUrl?: string, storedLogin?: string) =>
      chooseBackend({ root: dir, env, projectBackendUrl, storedLogin });
    assert.deepEqual(pick(all, "azblob://from-project", "https://api.pulumi.com"), {
      url: "s3://from-env",
      source: "PULUMI_BACKEND_URL",
      envVars: {},
    });
    assert.equal(pick({ PULUMI_ACCESS_TOKEN: "t" }, "azblob://from-project", "file:///login").url, "azblob://from-project");
    assert.equal(pick({ PULUMI_ACCESS_TOKEN: "t" }, undefined, "file:///login").source, "pulumi login");
    const cloud = pick({ PULUMI_ACCESS_TOKEN: "t" });
    assert.deepEqual([cloud.url, cloud.envVars, cloud.notice], [undefined, {}, undefined]);
    assert.ok(!JSON.stringify(cloud).includes("pul-token"));
  });

  it("falls back to a file backend in the project, and says where and how to switch", () => {
    const backend = chooseBackend({ root: dir, env: { PULUMI_BACKEND_URL: "" } });
    const stateDir = path.join(dir, LOCAL_STATE_DIR);
    assert.equal(backend.url, `file://${stateDir}`);
    assert.deepEqual(backend.envVars, { PULUMI_BACKEND_URL: `file://${stateDir}` });
    const notice = backend.notice ?? "";
    assert.ok(notice.includes(`keeping the state in ${stateDir}`), notice);
    assert.match(notice, /set PULUMI_BACKEND_URL or run 'pulumi login <url>'/);
    assert.match(notice, /'pulumi stack export' .* 'pulumi stack import'/);
    assert.ok(notice.endsWith(`export PULUMI_BACKEND_URL=file://${stateDir}`), notice);
    assert.ok(!fs.existsSync(stateDir), "choosing creates nothing");
    prepareBackend(backend);
    assert.ok(fs.statSync(stateDir).isDirectory());
    const ignored = fs.readFileSync(path.join(repoRoot, ".gitignore"), "utf8").split("\n");
    assert.ok(
      ignored.includes(`${LOCAL_STATE_DIR}/`) && ignored.includes(`${LOCAL_CLI_DIR}/`),
      "both project-local folders are git-ignored",
    );
  });

  it("refuses the fallback in CI, where the state would be lost with the runner", () => {
    assert.throws(
      () => chooseBackend({ root: dir, env: { CI: "true" } }),
      (e: unknown) => e instanceof LayoutError && /no Pulumi backend is configured.*in CI.*set PULUMI_BACKEND_URL/.test(e.message),
    );
  });

  it("warns when an earlier run's local state is left behind by another backend", () => {
    const configured = chooseBackend({ root: dir, env: { PULUMI_BACKEND_URL: "s3://team-state" } });
    assert.equal(strandedStateWarning(dir, configured), undefined);
    fs.mkdirSync(path.join(dir, LOCAL_STATE_DIR, ".pulumi", "stacks", "burstmesh"), { recursive: true });
    assert.match(
      strandedStateWarning(dir, configured) ?? "",
      /holds state from an earlier run .* this run uses s3:\/\/team-state \(PULUMI_BACKEND_URL\)/,
    );
    assert.equal(strandedStateWarning(dir, chooseBackend({ root: dir, env: {} })), undefined, "not while using it");
  });

  it("knows which backends encrypt new stacks with a passphrase", () => {
    const url = (u?: string) => passphraseByDefault({ url: u, source: "test", envVars: {} });
    assert.deepEqual(["file:///x", "s3://b", "azblob://c", "gs://d", "https://api.pulumi.com", undefined].map(url), [
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  it("reads the login from the CLI's credentials file, wherever the environment puts it", () => {
    const write = (folder: string, text: string) => {
      fs.mkdirSync(folder, { recursive: true });
      fs.writeFileSync(path.join(folder, "credentials.json"), text);
    };
    const home = path.join(dir, "home");
    assert.equal(readStoredLogin({}, home), undefined, "no file");
    write(path.join(home, ".pulumi"), JSON.stringify({ current: "https://api.pulumi.com", accessTokens: { x: "secret" } }));
    assert.equal(readStoredLogin({}, home), "https://api.pulumi.com");
    write(path.join(dir, "pulumi-home"), JSON.stringify({ current: "s3://home-state" }));
    assert.equal(readStoredLogin({ PULUMI_HOME: path.join(dir, "pulumi-home") }, home), "s3://home-state");
    write(path.join(dir, "creds"), JSON.stringify({ accessTokens: {} }));
    assert.equal(
      readStoredLogin({ PULUMI_HOME: path.join(dir, "pulumi-home"), PULUMI_CREDENTIALS_PATH: path.join(dir, "creds") }, home),
      undefined,
    );
    write(path.join(dir, "creds"), "");
    assert.equal(readStoredLogin({ PULUMI_CREDENTIALS_PATH: path.join(dir, "creds") }, home), undefined, "an empty file");
    write(path.join(dir, "creds"), "{not json");
    assert.throws(
      () => readStoredLogin({ PULUMI_CREDENTIALS_PATH: path.join(dir, "creds") }, home),
      /cannot read the Pulumi credentials file .*; fix or delete it/,
    );
  });
});
