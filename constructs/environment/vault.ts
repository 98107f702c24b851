import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { pascal, type Names } from '../../lib/naming';
import { acknowledge } from '../core/nag';

export interface VaultProps {
  /** Names of the environment (or Kitchen) the vault belongs to. */
  readonly names: Names;
  /** Secrets the environment's apps read (values are set by operators, never in code or templates). */
  readonly appSecrets?: readonly string[];
  /**
   * Removal policy of the key and the secrets.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Bring your own key instead of creating one. */
  readonly existingKey?: kms.IKey;
}

/**
 * Per-environment secrets: one customer managed KMS key (rotated yearly) and Secrets Manager secrets encrypted
 * with it. Only roles the environment grants can read them.
 */
export class Vault extends Construct {
  public readonly key: kms.IKey;
  public readonly appSecrets: Readonly<Record<string, secretsmanager.Secret>>;

  constructor(scope: Construct, id: string, props: VaultProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key =
      props.existingKey ??
      new kms.Key(this, 'Key', {
        description: `cdk-kitchens vault key for ${props.names.stackName}`,
        enableKeyRotation: true,
        removalPolicy,
        pendingWindow: Duration.days(removalPolicy === RemovalPolicy.DESTROY ? 7 : 30),
      });
    const secrets: Record<string, secretsmanager.Secret> = {};
    for (const name of props.appSecrets ?? []) {
      const secret = new secretsmanager.Secret(this, `App${pascal(name)}`, {
        secretName: props.names.secretName(`apps/${name}`),
        description: `App secret "${name}"; its value is set by an operator (aws secretsmanager put-secret-value)`,
        encryptionKey: this.key,
        removalPolicy,
      });
      acknowledge(
        secret,
        'AwsSolutions-SMG4',
        'App secrets hold credentials issued by third parties (partner API tokens) that a rotation Lambda cannot ' +
          're-issue; they are rotated by the issuing party through the documented put-secret-value runbook.',
      );
      secrets[name] = secret;
    }
    this.appSecrets = secrets;
  }

  /** Grants reading every app secret (and decrypting with the vault key) to the grantee. */
  public grantReadAppSecrets(grantee: iam.IGrantable): void {
    for (const secret of Object.values(this.appSecrets)) {
      secret.grantRead(grantee);
    }
  }
}
