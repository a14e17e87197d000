/**
 * AWS IAM policy documents and ARNs, as pure functions: the EKS roles, the Secrets key, Karpenter's
 * controller, node and interruption-queue policies all build their documents here.
 */

/** A policy in IAM's 2012-10-17 policy language. */
export interface PolicyDocument {
  Version: "2012-10-17";
  Id?: string;
  Statement: Record<string, unknown>[];
}

/** A policy document of these statements; `id` names the policy where AWS asks for one (SQS queue policies). */
export function policyDocument(statements: Record<string, unknown>[], id?: string): PolicyDocument {
  return { Version: "2012-10-17", ...(id !== undefined && { Id: id }), Statement: statements };
}

/** ARN of an AWS managed IAM policy in the given partition (`aws`, `aws-cn`, `aws-us-gov`, ...). */
export function managedPolicyArn(partition: string, policyName: string): string {
  return `arn:${partition}:iam::aws:policy/${policyName}`;
}

/** IAM trust policy (JSON) that lets an AWS service principal, such as `eks.amazonaws.com`, assume a role. */
export function serviceTrustPolicy(servicePrincipal: string, actions: string | string[] = "sts:AssumeRole"): string {
  return JSON.stringify(policyDocument([{ Effect: "Allow", Principal: { Service: servicePrincipal }, Action: actions }]));
}
