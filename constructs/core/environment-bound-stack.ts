import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../lib/config/model';
import { conditionServiceTrust } from './service-trust';

/** Props of a stack deployed to one configured environment. */
export interface EnvironmentBoundStackProps extends StackProps {
  /** The environment whose account, region and availability zones the stack uses. */
  readonly boundTo: EnvironmentConfig;
}

/**
 * A stack deployed to one configured environment: its account and region, and the availability zones the config
 * pins, so `cdk synth` never asks AWS (no availability-zones context lookup; synth works offline).
 */
export class EnvironmentBoundStack extends Stack {
  private readonly zones: string[];

  constructor(scope: Construct, id: string, props: EnvironmentBoundStackProps) {
    super(scope, id, { env: { account: props.boundTo.account, region: props.boundTo.region }, ...props });
    this.zones = [...props.boundTo.availabilityZones];
    // Every service role of the stack trusts its service only on behalf of this account's resources.
    conditionServiceTrust(this);
  }

  public get availabilityZones(): string[] {
    return this.zones;
  }
}
