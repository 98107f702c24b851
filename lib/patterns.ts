/**
 * Input rules shared by the config schema, the Kitchen context and the CLI flags, so a value accepted in one
 * place is accepted everywhere. Pure: no aws-cdk-lib import.
 */

/** An OpenSSH public key line: type, base64 body, optional comment. */
export const SSH_PUBLIC_KEY_PATTERN =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) [A-Za-z0-9+/]+={0,3}( \S.*)?$/;

/** A Slack workspace or channel id (T07ABCDEF12, C07ABCDEF12). */
export const SLACK_ID_PATTERN = /^[A-Z0-9]{9,11}$/;

/** An owner, as stored in the kitchens:owner tag: a user name or e-mail. */
export const OWNER_PATTERN = /^[\w.@+-]{1,64}$/;

/** An IAM principal a staff role may trust; group 2 is the account id. */
export const IAM_PRINCIPAL_ARN_PATTERN =
  /^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(root|user\/[\w+=,.@/-]+|role\/[\w+=,.@/-]+|assumed-role\/[\w+=,.@/-]+)$/;

/**
 * Why a staff principal trusts more than one person, or undefined: the account root (`arn:...:root` lets every
 * principal of the account that IAM allows assume the role) and wildcards are refused.
 */
export function staffBreadthProblem(arn: string): string | undefined {
  if (/[*?]/.test(arn)) {
    return 'must name one IAM user or role: wildcards would let every matching principal assume the staff role';
  }
  if (/^arn:[^:]+:(iam|sts)::\d{12}:root$/.test(arn) || /^\d{12}$/.test(arn)) {
    return 'must name one IAM user or role, not the account root: the root principal trusts every principal of the account';
  }
  return undefined;
}
