import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { pascal, type Names } from '../../lib/naming';
import { checkName, nameFromScope, rotatedKey, type NameRule } from '../core/defaults';
import { acknowledge } from '../core/nag';

/** Characters Secrets Manager allows in a secret name. */
const SECRET_NAME: NameRule = { pattern: /^[A-Za-z0-9/_+=.@-]*$/, allowed: 'letters, digits and /_+=.@-' };

/** Properties of a {@link Vault}. All are optional: `new Vault(this, 'Vault')` is a working vault. */
export interface VaultProps {
  /**
   * Names of the secrets the environment's apps read (`partner-api`). Each becomes one Secrets Manager secret
   * named `<secretNamePrefix>apps/<name>`, encrypted with the vault key; operators set the values, never code.
   * @default - no app secrets
   */
  readonly appSecrets?: readonly string[];
  /**
   * Prefix of every secret name the vault creates (`acme/dev/`).
   * @default - the stack name and the vault's construct path, each followed by `/` (`DataStack/Vault/`)
   */
  readonly secretNamePrefix?: string;
  /**
   * Description of the KMS key the vault creates.
   * @default - `cdk-kitchens vault key for <stack name>/<construct path>`
   */
  readonly keyDescription?: string;
  /**
   * Removal policy of the key and the secrets.
   *
   * @default - the key and the secrets are kept when removed from the stack (`RETAIN`)
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A key to encrypt the secrets with instead of creating one.
   * @default - a new customer managed key, rotated yearly
   */
  readonly existingKey?: kms.IKey;
}

/**
 * Per-environment secrets: one customer managed KMS key (rotated yearly) and Secrets Manager secrets encrypted
 * with it. Only roles the environment grants can read them.
 */
export class Vault extends Construct {
  /**
   * The vault props that give the secrets and the key the names of an environment or Kitchen
   * (`acme/dev/apps/partner-api`), as `ReleaseEnvironment` names them.
   */
  public static namedAfter(names: Names): Pick<VaultProps, 'secretNamePrefix' | 'keyDescription'> {
    return {
      secretNamePrefix: names.secretName(''),
      keyDescription: `cdk-kitchens vault key for ${names.stackName}`,
    };
  }

  /** The key that encrypts the secrets (created, or `existingKey`). */
  public readonly key: kms.IKey;
  /** The app secrets, by the names given in `appSecrets`. */
  public readonly appSecrets: Readonly<Record<string, secretsmanager.Secret>>;

  constructor(scope: Construct, id: string, props: VaultProps = {}) {
    super(scope, id);
    checkName('Vault', 'secretNamePrefix', props.secretNamePrefix, SECRET_NAME);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const prefix = props.secretNamePrefix ?? `${nameFromScope(this, '/', /[A-Za-z0-9_+=.@-]/)}/`;
    this.key =
      props.existingKey ??
      rotatedKey(
        this,
        'Key',
        props.keyDescription ?? `cdk-kitchens vault key for ${nameFromScope(this, '/', /./)}`,
        removalPolicy,
      );
    const secrets: Record<string, secretsmanager.Secret> = {};
    for (const name of props.appSecrets ?? []) {
      const secret = new secretsmanager.Secret(this, `App${pascal(name)}`, {
        secretName: `${prefix}apps/${name}`,
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
