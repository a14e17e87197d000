// The burstmesh policy pack: `pulumi preview --policy-pack policy` (or `pulumi up --policy-pack policy`)
// loads this file with the pack directory as working directory. The policies themselves live in
// `policies.ts`, where the test suite calls them directly.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("burstmesh-guardrails", {
  description: "Guardrails for the burstmesh Istio multi-cluster mesh on EKS and AKS.",
  policies,
});
