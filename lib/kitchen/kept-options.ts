/**
 * What a re-run of `kitchen create NAME` keeps from the deployed Kitchen: its staff, SSH key and Slack channel,
 * which the Kitchen stack records in its outputs (`KitchenStaff`, `KitchenSshKey`, `KitchenSlackChannel`), so they
 * survive a re-run that does not give them again, whether the stack was deployed by the CLI or by
 * `cdk deploy -c kitchen=NAME`. Owner, parent and expiry are kept from the stack's tags (deploy.ts).
 */
import type { Stack } from '@aws-sdk/client-cloudformation';

/** The Kitchen stack outputs that record the options a re-run keeps. */
export const KITCHEN_OPTION_OUTPUTS = {
  staff: 'KitchenStaff',
  sshPublicKey: 'KitchenSshKey',
  slackChannelId: 'KitchenSlackChannel',
} as const;

/** The options a re-run may keep. */
export interface KeptOptions {
  readonly staff?: readonly string[];
  readonly sshPublicKey?: string;
  readonly slackChannelId?: string;
}

/** The options recorded in a deployed Kitchen stack's outputs (none for a stack that is not there). */
export function keptOptions(stack: Pick<Stack, 'Outputs'> | undefined): KeptOptions {
  const output = (key: string) => stack?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue || undefined;
  const staff = output(KITCHEN_OPTION_OUTPUTS.staff);
  return {
    staff: staff?.split(',').filter((arn) => arn.length > 0),
    sshPublicKey: output(KITCHEN_OPTION_OUTPUTS.sshPublicKey),
    slackChannelId: output(KITCHEN_OPTION_OUTPUTS.slackChannelId),
  };
}

/** The options given on this run, each falling back to the one the deployed Kitchen recorded. */
export function mergeKeptOptions(given: KeptOptions, kept: KeptOptions): KeptOptions {
  return {
    staff: given.staff ?? kept.staff,
    sshPublicKey: given.sshPublicKey ?? kept.sshPublicKey,
    slackChannelId: given.slackChannelId ?? kept.slackChannelId,
  };
}
