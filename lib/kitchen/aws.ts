/**
 * Where the Kitchen commands send their AWS calls. The SDK reads credentials the usual way (environment,
 * `--profile`, ~/.aws) and honours AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) by itself.
 */
import type { EnvironmentConfig } from '../config/model';

export interface AwsTarget {
  readonly region: string;
  readonly profile?: string;
}

/** The region defaults to the environment's; `--region` overrides it where the command allows. */
export function awsTarget(
  environment: EnvironmentConfig,
  options: { region?: string; profile?: string } = {},
): AwsTarget {
  return {
    region: options.region ?? environment.region,
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
  };
}

/** Constructor options for any AWS SDK v3 client. */
export function clientConfig(target: AwsTarget): { region: string; profile?: string } {
  return { region: target.region, ...(target.profile !== undefined ? { profile: target.profile } : {}) };
}

/** The one method of an SDK v3 client the adapters use, so tests can pass a fake. */
export interface SdkClient {
  send(command: object): Promise<unknown>;
}

/** A message for an AWS SDK error: its name and message (the SDK's own text), without a stack trace. */
export function sdkErrorMessage(e: unknown): string {
  if (e instanceof Error) {
    return e.name && e.name !== 'Error' && !e.message.startsWith(e.name) ? `${e.name}: ${e.message}` : e.message;
  }
  return String(e);
}
