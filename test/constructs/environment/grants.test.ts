import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Alerts } from '../../../constructs/environment/alerts';
import { DataLake } from '../../../constructs/environment/data-lake';
import { Vault } from '../../../constructs/environment/vault';
import { Names } from '../../../lib/naming';

describe('the grant methods of Vault, DataLake and Alerts', () => {
  const stack = new Stack(new App(), 'Grants', { env: { account: '222222222222', region: 'eu-west-1' } });
  const names = new Names({ project: 'acme', environment: 'dev', account: '222222222222' });
  const key = new kms.Key(stack, 'Key');
  const vault = new Vault(stack, 'Vault', {
    ...Vault.namedAfter(names),
    appSecrets: ['partner-api'],
    existingKey: key,
  });
  const lake = new DataLake(stack, 'Lake', { ...DataLake.namedAfter(names), encryptionKey: key });
  const alerts = new Alerts(stack, 'Alerts', {
    ...Alerts.namedAfter(names),
    slackWorkspaceId: 'T07ACME0001',
    slackChannelId: 'C07DEVALERT',
    encryptionKey: key,
  });
  const role = (id: string) =>
    new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  const reader = role('Reader');
  const secrets = role('Secrets');
  const publisher = role('Publisher');
  lake.grantRead(reader, 'kitchens/x/');
  vault.grantReadAppSecrets(secrets);
  alerts.grantPublish(publisher);
  const template = Template.fromStack(stack);
  const policyOf = (r: iam.Role) => {
    const id = stack.getLogicalId(r.node.defaultChild as iam.CfnRole);
    return Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: id }] } }))[0]
      .Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
  };

  it('should let DataLake.grantRead read objects below the prefix in every zone, and write nothing', () => {
    const statements = policyOf(reader);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.some((a) => /^s3:(Put|Delete)/.test(a))).toBe(false);
    const objectResources = JSON.stringify(statements).match(/\/kitchens\/x\/\*/g) ?? [];
    expect(objectResources).toHaveLength(3);
  });

  it('should let Vault.grantReadAppSecrets read the app secrets only', () => {
    const secretId = stack.getLogicalId(vault.appSecrets['partner-api'].node.defaultChild as CfnElement);
    expect(policyOf(secrets)).toStrictEqual([
      {
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Effect: 'Allow',
        Resource: { Ref: secretId },
      },
    ]);
  });

  it('should let Alerts.grantPublish publish to the alert topic only (and use its key)', () => {
    const topicId = stack.getLogicalId(alerts.topic.node.defaultChild as CfnElement);
    const keyId = stack.getLogicalId(key.node.defaultChild as CfnElement);
    expect(policyOf(publisher)).toStrictEqual([
      { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: topicId } },
      { Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    ]);
  });
});
