import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { defaultTolerance, kindMembers } from "../../scripts/localMesh";
import { repoRoot } from "../support/stackFiles";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

interface Job {
  "runs-on": string;
  if?: string;
  environment?: string | { name: string };
  permissions?: unknown;
  strategy?: { matrix: Record<string, unknown> & { include?: Record<string, unknown>[] } };
  env?: Record<string, unknown>;
  steps: Step[];
}

interface Workflow {
  on: Record<string, any>;
  permissions: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  jobs: Record<string, Job>;
}

function workflow(name: string): Workflow {
  return parseYaml(fs.readFileSync(path.join(repoRoot, ".github", "workflows", `${name}.yml`), "utf8")) as Workflow;
}

const names = ["test", "preview", "deploy", "kind", "rehearsal"] as const;
const allSteps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((job) => job.steps);
const stepUsing = (wf: Workflow, action: string): Step[] => allSteps(wf).filter((step) => step.uses?.split("@")[0] === action);
const only = <T>(items: T[], what: string): T => {
  assert.equal(items.length, 1, `exactly one ${what}`);
  return items[0]!;
};
/** The `run` commands of a job, in order. */
const commands = (job: Job): string[] => job.steps.flatMap((step) => (step.run ? [step.run.trim()] : []));

describe("GitHub workflows", () => {
  describe("every workflow", () => {
    for (const name of names) {
      it(`${name}: pins every action to a version tag or a commit SHA, never a branch`, () => {
        const uses = allSteps(workflow(name)).flatMap((step) => (step.uses ? [step.uses] : []));
        assert.ok(uses.length > 0);
        for (const ref of uses) {
          assert.match(ref, /^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, `${ref} is pinned to a major tag or a SHA`);
        }
      });

      it(`${name}: declares workflow-wide permissions and no job widens them`, () => {
        const wf = workflow(name);
        assert.ok(wf.permissions && typeof wf.permissions === "object", "top-level permissions set (the default token is broader)");
        for (const [jobName, job] of Object.entries(wf.jobs)) assert.equal(job.permissions, undefined, `${jobName} has no own permissions`);
      });

      it(`${name}: checks out without persisting the token`, () => {
        for (const checkout of stepUsing(workflow(name), "actions/checkout")) assert.equal(checkout.with?.["persist-credentials"], false);
      });
    }
  });

  describe("test.yml", () => {
    const wf = workflow("test");
    const job = only(Object.values(wf.jobs), "job");

    it("runs on pull requests and on pushes", () => {
      assert.deepEqual(Object.keys(wf.on).sort(), ["pull_request", "push"]);
    });

    it("may only read the repository", () => {
      assert.deepEqual(wf.permissions, { contents: "read" });
    });

    it("runs npm ci then npm test (type check, lint, mocha) on Node 20 and 22", () => {
      assert.deepEqual(job.strategy?.matrix.node, [20, 22]);
      assert.equal(only(stepUsing(wf, "actions/setup-node"), "setup-node").with?.["node-version"], "${{ matrix.node }}");
      assert.deepEqual(commands(job), ["npm ci", "npm test"]);
    });

    it("has npm test run the type check, the linter, the formatting check and the tests", () => {
      const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> };
      assert.equal(manifest.scripts.test, "bash scripts/test.sh");
      const script = fs
        .readFileSync(path.join(repoRoot, "scripts", "test.sh"), "utf8")
        .split("\n")
        .filter((line) => !line.startsWith("#"))
        .join("\n");
      for (const step of ["scripts/check.ts", "prettier --check .", "mocha"]) assert.ok(script.includes(step), `npm test runs ${step}`);
      // check.ts is the type-check (tsconfig.json's program) and the lint (eslint ., every file) in one.
      const check = fs.readFileSync(path.join(repoRoot, "scripts", "check.ts"), "utf8");
      assert.match(check, /ts\.getPreEmitDiagnostics\(program\)/);
      assert.match(check, /eslint\.lintFiles\(\["\."\]\)/);
      assert.match(
        script,
        /exit \$\(\(tests != 0 \|\| checks != 0 \|\| formatting != 0\)\)/,
        "npm test fails when the tests, the type-check or the lint, or the formatting check fail",
      );
      assert.equal(manifest.scripts.lint, "eslint .");
    });
  });

  describe("preview.yml", () => {
    const wf = workflow("preview");
    const job = only(Object.values(wf.jobs), "job");
    const preview = only(stepUsing(wf, "pulumi/actions"), "pulumi/actions step");
    const aws = only(stepUsing(wf, "aws-actions/configure-aws-credentials"), "AWS login");
    const azure = only(stepUsing(wf, "azure/login"), "Azure login");

    it("runs on pull requests only", () => {
      assert.deepEqual(Object.keys(wf.on), ["pull_request"]);
    });

    it("may read the repository, comment on the pull request and request OIDC tokens, nothing else", () => {
      assert.deepEqual(wf.permissions, { contents: "read", "pull-requests": "write", "id-token": "write" });
    });

    it("skips pull requests from forks, which get no secrets or OIDC tokens", () => {
      assert.equal(job.if, "github.event.pull_request.head.repo.full_name == github.repository");
    });

    it("previews exactly the stacks trust, eks and aks, each with the cloud its program needs", () => {
      const include = job.strategy?.matrix.include ?? [];
      assert.deepEqual(
        include.map((entry) => [entry.stack, entry.cloud]),
        [
          ["trust", "none"],
          ["eks", "aws"],
          ["aks", "azure"],
        ],
      );
    });

    it("validates every stack file offline, after the install and before any credential or preview", () => {
      const steps = wf.jobs.preview!.steps;
      const validate = steps.findIndex((s) => s.run === "npm run mesh -- validate");
      assert.ok(validate > steps.findIndex((s) => s.run === "npm ci"));
      assert.ok(validate < steps.findIndex((s) => s.uses?.startsWith("aws-actions/") || s.uses?.startsWith("azure/")));
      assert.ok(validate < steps.indexOf(preview));
    });

    it("installs dependencies (also the policy pack's) before previewing", () => {
      const steps = job.steps;
      assert.ok(steps.findIndex((s) => s.run === "npm ci") < steps.indexOf(preview));
    });

    it("runs pulumi preview of the matrix stack with the policy pack, commenting on the PR", () => {
      assert.equal(preview.uses, "pulumi/actions@v7");
      assert.equal(preview.with?.command, "preview");
      assert.equal(preview.with?.["stack-name"], "${{ matrix.stack }}");
      assert.equal(preview.with?.["comment-on-pr"], true);
      assert.equal(preview.with?.["github-token"], "${{ secrets.GITHUB_TOKEN }}");
      assert.equal(preview.with?.policyPacks, "${{ github.workspace }}/policy");
      assert.equal(preview.with?.refresh, false);
      assert.ok(fs.existsSync(path.join(repoRoot, "policy", "PulumiPolicy.yaml")), "the policy pack is in policy/");
    });

    it("reaches the backend and the secrets passphrase through repository secrets", () => {
      assert.equal(preview.with?.["cloud-url"], "${{ secrets.PULUMI_BACKEND_URL }}");
      assert.equal(preview.env?.PULUMI_CONFIG_PASSPHRASE, "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
      assert.equal(job.env, undefined, "secrets are scoped to the step that needs them, not to npm ci");
    });

    it("logs in to AWS and Azure with OIDC, only for the stack that needs the cloud (or the state backend)", () => {
      assert.equal(aws.with?.["role-to-assume"], "${{ secrets.AWS_PREVIEW_ROLE_ARN }}");
      assert.equal(aws.with?.["aws-access-key-id"], undefined, "no long-lived AWS keys");
      assert.equal(aws.if, "matrix.cloud == 'aws' || vars.PULUMI_STATE_CLOUD == 'aws'");
      assert.equal(azure.with?.["client-id"], "${{ secrets.AZURE_PREVIEW_CLIENT_ID }}");
      assert.equal(azure.with?.["tenant-id"], "${{ secrets.AZURE_TENANT_ID }}");
      assert.equal(azure.with?.["subscription-id"], "${{ secrets.AZURE_SUBSCRIPTION_ID }}");
      assert.equal(azure.with?.creds, undefined, "no client secret");
      assert.equal(azure.if, "matrix.cloud == 'azure' || vars.PULUMI_STATE_CLOUD == 'azure'");
      const steps = job.steps;
      assert.ok(steps.indexOf(aws) < steps.indexOf(preview) && steps.indexOf(azure) < steps.indexOf(preview));
    });

    it("lets azure-native use OIDC on the aks preview", () => {
      assert.equal(preview.env?.ARM_USE_OIDC, "${{ matrix.cloud == 'azure' }}");
      for (const name of ["ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID"]) {
        assert.match(String(preview.env?.[name]), /^\$\{\{ matrix\.cloud == 'azure' && secrets\.AZURE_\w+ \|\| '' \}\}$/, name);
      }
    });
  });

  describe("rehearsal.yml", () => {
    const wf = workflow("rehearsal");
    const job = only(Object.values(wf.jobs), "rehearsal job");

    it("runs by hand and nightly, never on a pull request", () => {
      assert.deepEqual(Object.keys(wf.on as object).sort(), ["schedule", "workflow_dispatch"]);
    });

    it("builds the toolchain from its cache, then rehearses as root with a JSON report", () => {
      const cache = only(stepUsing(wf, "actions/cache"), "toolchain cache");
      assert.match(String(cache.with?.path), /~\/\.cache\/burstmesh-rehearsal/);
      assert.equal(cache.with?.key, "rehearsal-toolchain-${{ hashFiles('rehearsal/toolchain/**') }}");
      const run = commands(job);
      const build = run.indexOf("npm run rehearse -- --build");
      const rehearse = run.findIndex((command) => /^sudo .* npm run rehearse -- --json /.test(command));
      assert.ok(run.indexOf("npm ci") < build && build < rehearse, run.join("\n"));
    });
  });

  describe("deploy.yml", () => {
    const wf = workflow("deploy");
    const job = only(Object.values(wf.jobs), "job");

    it("runs on pushes to main, by hand, and weekly for the CA renewal only where the repository opts in", () => {
      assert.deepEqual(wf.on, { push: { branches: ["main"] }, workflow_dispatch: null, schedule: [{ cron: "41 4 * * 1" }] });
      assert.equal(job.if, "github.event_name != 'schedule' || vars.BURSTMESH_SCHEDULED_RENEWAL == 'true'");
    });

    it("may read the repository and request OIDC tokens, nothing else", () => {
      assert.deepEqual(wf.permissions, { contents: "read", "id-token": "write" });
    });

    it("runs behind the protected production environment", () => {
      assert.equal(job.environment, "production");
    });

    it("never runs two deploys at once, and never cancels one midway", () => {
      assert.ok(wf.concurrency?.group && !wf.concurrency.group.includes("${{ github.ref"), "one group for every deploy");
      assert.equal(wf.concurrency["cancel-in-progress"], false);
    });

    it("tests, logs in to both clouds with OIDC, installs the Pulumi CLI, then runs the orchestrator's up", () => {
      const steps = job.steps;
      const index = (predicate: (s: Step) => boolean, what: string) => {
        const i = steps.findIndex(predicate);
        assert.ok(i >= 0, what);
        return i;
      };
      const npmCi = index((s) => s.run === "npm ci", "npm ci");
      const npmTest = index((s) => s.run === "npm test", "npm test");
      const aws = index(
        (s) => s.uses === "aws-actions/configure-aws-credentials@v6" && s.with?.["role-to-assume"] === "${{ secrets.AWS_DEPLOY_ROLE_ARN }}",
        "AWS OIDC login",
      );
      const azure = index(
        (s) => s.uses === "azure/login@v3" && s.with?.["client-id"] === "${{ secrets.AZURE_DEPLOY_CLIENT_ID }}",
        "Azure OIDC login",
      );
      const cli = index(
        (s) => s.uses === "pulumi/actions@v7" && s.with?.command === undefined && s.with?.["pulumi-version-file"] === ".pulumi.version",
        "CLI install only",
      );
      const up = index((s) => s.run === "npm run mesh -- up --yes", "npm run mesh -- up --yes");
      assert.ok(npmCi < npmTest && npmTest < aws && aws < up && azure < up && cli < up);
    });

    it("hands the backend, passphrase and azure-native OIDC settings to the deploy step only", () => {
      const up = only(
        job.steps.filter((s) => s.run === "npm run mesh -- up --yes"),
        "deploy step",
      );
      assert.equal(up.env?.PULUMI_BACKEND_URL, "${{ secrets.PULUMI_BACKEND_URL }}");
      assert.equal(up.env?.PULUMI_CONFIG_PASSPHRASE, "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
      assert.equal(up.env?.ARM_USE_OIDC, "true");
      assert.equal(up.env?.ARM_CLIENT_ID, "${{ secrets.AZURE_DEPLOY_CLIENT_ID }}");
      assert.equal(job.env, undefined);
    });

    it("does not restore a dependency cache into the job that holds production credentials", () => {
      const setup = only(stepUsing(wf, "actions/setup-node"), "setup-node");
      assert.equal(setup.with?.cache, undefined);
      assert.equal(setup.with?.["package-manager-cache"], false);
    });
  });
  describe("kind.yml", () => {
    const wf = workflow("kind");
    const job = only(Object.values(wf.jobs), "job");
    const runs = commands(job);
    const stepIndex = (pattern: RegExp, what: string) => {
      const index = job.steps.findIndex((step) => pattern.test(step.run ?? ""));
      assert.ok(index >= 0, what);
      return index;
    };

    it("runs by hand and nightly, never on pushes or pull requests", () => {
      assert.deepEqual(Object.keys(wf.on).sort(), ["schedule", "workflow_dispatch"]);
      assert.match(String(wf.on.schedule[0].cron), /^\d+ \d+ \* \* \*$/);
    });

    it("may only read the repository and uses no repository secret", () => {
      assert.deepEqual(wf.permissions, { contents: "read" });
      assert.ok(!JSON.stringify(wf).includes("secrets."), "no secrets: the state and passphrase live on the runner");
    });

    it("pins the tools it installs", () => {
      const installs = runs.flatMap((run) => run.split("\n")).filter((line) => line.startsWith("go install"));
      assert.equal(installs.length, 2);
      for (const line of installs) assert.match(line, /@v\d+\.\d+\.\d+$/, line);
    });

    it("creates the clusters, runs the mesh up, the drill, then the check against the model, and always tears down", () => {
      const up = stepIndex(/^bash scripts\/kind-up\.sh$/, "kind-up");
      const mesh = stepIndex(new RegExp(`^npm run mesh -- up --yes --stacks trust,${kindMembers.home},${kindMembers.burst}$`), "mesh up");
      const drill = stepIndex(/job\/overflow-drill --timeout=/, "the drill, waited for");
      const check = stepIndex(/scripts\/localMesh\.ts check --report .* --tolerance "\$TOLERANCE"/, "the check");
      // The runner has no terminal: off one, kind-down tears down only with --yes.
      const down = stepIndex(/^bash scripts\/kind-down\.sh --yes$/, "teardown");
      assert.ok(up < mesh && mesh < drill && drill < check && check < down);
      assert.equal(job.steps[down]!.if, "always()");
    });

    it("states its tolerance, the same default as the check's, and passes the input through the environment", () => {
      assert.equal(wf.on.workflow_dispatch.inputs.tolerance.default, String(defaultTolerance));
      const check = job.steps.find((step) => /localMesh\.ts check/.test(step.run ?? ""))!;
      assert.equal(check.env?.TOLERANCE, `\${{ inputs.tolerance || '${defaultTolerance}' }}`);
      assert.ok(!check.run!.includes("${{"), "no expression is pasted into the shell");
    });
  });
});
