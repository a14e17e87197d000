// Control-plane hardening of an EKS cluster: envelope encryption of Secrets with a customer-managed
// KMS key, and the control-plane logs in CloudWatch. Kept beside EksCluster so that the cluster
// component only wires what these functions create.
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as kms from "@pulumi/aws/kms";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "./iam";

/** The control-plane log types burstmesh turns on: requests, the audit trail, and who signed in. */
const controlPlaneLogTypes = ["api", "audit", "authenticator"] as const;

/**
 * The log group EKS writes control-plane logs to. EKS picks this name itself and creates the group
 * (with logs kept for ever) unless it exists, so it is created first, under this name, with a retention.
 */
export function controlPlaneLogGroupName(clusterName: string): string {
  return `/aws/eks/${clusterName}/cluster`;
}

/** What the cluster role needs on the key to encrypt and decrypt Secrets (the actions EKS documents). */
export const clusterRoleKeyActions = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"] as const;

/**
 * The key policy of the Secrets key: the account keeps full control (so IAM policies can administer
 * the key and it never becomes unmanageable), and the cluster role may use it, nothing more.
 */
export function secretsKeyPolicy(partition: string, accountId: string, clusterRoleArn: string): string {
  return JSON.stringify(
    policyDocument([
      {
        Sid: "AccountAdministersTheKey",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "ClusterRoleEncryptsSecrets",
        Effect: "Allow",
        Principal: { AWS: clusterRoleArn },
        Action: [...clusterRoleKeyActions],
        Resource: "*",
      },
    ]),
  );
}

interface EksControlPlaneSecurityArgs {
  clusterName: string;
  region: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  /** The role the control plane runs as: the one the key policy lets encrypt and decrypt. */
  clusterRoleArn: pulumi.Input<string>;
  /** Days CloudWatch keeps the control-plane logs. */
  logRetentionDays: pulumi.Input<number>;
}

/** What the cluster is created with: the Secrets key and the log group it must come after. */
interface EksControlPlaneSecurity {
  secretsKey: kms.Key;
  logGroup: cloudwatch.LogGroup;
  /** `encryptionConfig` of the cluster: Secrets under the key. */
  encryptionConfig: { provider: { keyArn: pulumi.Output<string> }; resources: string[] };
  /** `enabledClusterLogTypes` of the cluster. */
  enabledClusterLogTypes: string[];
}

/** Creates the Secrets key (rotated yearly by KMS) and the control-plane log group, as children of `parent`. */
export function eksControlPlaneSecurity(name: string, args: EksControlPlaneSecurityArgs, parent: pulumi.Resource): EksControlPlaneSecurity {
  const opts = { parent };
  const accountId = getCallerIdentityOutput({}, opts).accountId;
  const secretsKey = new kms.Key(
    `${name}-secrets-key`,
    {
      region: args.region,
      description: `Envelope encryption of Kubernetes Secrets in EKS cluster ${args.clusterName}`,
      enableKeyRotation: true,
      // The longest wait: a key scheduled for deletion by mistake can still be recovered, and the
      // Secrets it protects with it.
      deletionWindowInDays: 30,
      policy: pulumi.all([args.partition, accountId, args.clusterRoleArn]).apply(([p, a, role]) => secretsKeyPolicy(p, a, role)),
    },
    opts,
  );
  new kms.Alias(
    `${name}-secrets-key`,
    { region: args.region, name: `alias/eks/${args.clusterName}/secrets`, targetKeyId: secretsKey.keyId },
    opts,
  );
  const logGroup = new cloudwatch.LogGroup(
    `${name}-control-plane-logs`,
    { region: args.region, name: controlPlaneLogGroupName(args.clusterName), retentionInDays: args.logRetentionDays },
    opts,
  );
  return {
    secretsKey,
    logGroup,
    encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ["secrets"] },
    enabledClusterLogTypes: [...controlPlaneLogTypes],
  };
}
