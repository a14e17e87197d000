// The burstmesh policy pack: `pulumi preview --policy-pack policy` (or `pulumi up --policy-pack policy`)
// loads this file with the pack directory as working directory. The policies live in one module per
// domain, registered in `pack.ts`, where the test suite calls them without the Pulumi engine.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./pack";

new PolicyPack("burstmesh-guardrails", {
  description: "Guardrails for the burstmesh Istio multi-cluster mesh on EKS and AKS.",
  policies,
});
