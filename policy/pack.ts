// The one place the pack's domains are registered. Their order is the order the pack lists its
// policies in (mandatory guardrails first, then the advisories), which the engine reports as is.

import { Policies } from "@pulumi/policy";
import { availabilityPolicies } from "./availability";
import { capacityPolicies } from "./capacity";
import { chartPolicies } from "./charts";
import { exposurePolicies } from "./exposure";
import { meshPolicies } from "./mesh";
import { secretPolicies } from "./secrets";
import { tagPolicies } from "./tags";
import { workloadPolicies } from "./workloads";

/** Every policy of the pack, in the order the pack lists them. */
export const policies: Policies = [
  ...meshPolicies,
  ...chartPolicies,
  ...secretPolicies,
  ...workloadPolicies,
  ...capacityPolicies,
  ...tagPolicies,
  ...exposurePolicies,
  ...availabilityPolicies,
];
