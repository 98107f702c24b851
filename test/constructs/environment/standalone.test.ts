import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Alerts } from '../../../constructs/environment/alerts';
import { DataLake } from '../../../constructs/environment/data-lake';
import { Vault } from '../../../constructs/environment/vault';
import { FEATURE_FLAGS } from '../../../lib/feature-flags';
import { synthToDir, tempOutdir } from '../../support/synth';

/** Vault, DataLake and Alerts with nothing but the props a new user would write. */
function plainStack(app: App, env?: { account: string; region: string }): Stack {
  const stack = new Stack(app, 'DataStack', { env });
  new Vault(stack, 'Vault', { appSecrets: ['partner-api'] });
  new DataLake(stack, 'DataLake');
  new Alerts(stack, 'Alerts', { slackWorkspaceId: 'T07ACME0001', slackChannelId: 'C07DEVALERT' });
  return stack;
}

function withNag(context: Record<string, unknown>): App {
  const app = new App({ outdir: tempOutdir('standalone'), context });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

describe('Vault, DataLake and Alerts used alone with plain props', () => {
  const stack = plainStack(new App({ context: FEATURE_FLAGS }));
  const template = Template.fromStack(stack);

  it('should create a rotated key for each construct that was given none', () => {
    template.resourcePropertiesCountIs('AWS::KMS::Key', { EnableKeyRotation: true }, 3);
  });

  it('should name the app secrets after the stack and the construct path', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'DataStack/Vault/apps/partner-api' });
  });

  it('should let CloudFormation name the buckets and the topic', () => {
    template.resourceCountIs('AWS::S3::Bucket', 4);
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.BucketName).toBeUndefined();
    }
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: Match.absent() });
  });

  it('should expire landing files and noncurrent versions after 90 days and access logs after 365', () => {
    const rules = Object.values(template.findResources('AWS::S3::Bucket')).flatMap(
      (b) => b.Properties.LifecycleConfiguration.Rules as { Id: string; ExpirationInDays?: number }[],
    );
    expect(rules.find((r) => r.Id === 'ExpireLanding')?.ExpirationInDays).toBe(90);
    expect(rules.find((r) => r.Id === 'ExpireAccessLogs')?.ExpirationInDays).toBe(365);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'ExpireNoncurrentVersions', NoncurrentVersionExpiration: { NoncurrentDays: 90 } }),
        ]),
      },
    });
  });

  it('should let only the data lake buckets log to the access log bucket', () => {
    expect(JSON.stringify(template.findResources('AWS::S3::BucketPolicy'))).not.toContain('CloneExportAccessLogs');
  });

  it('should name the Slack configuration after the construct path and limit Slack users to the stack prefix', () => {
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'DataStack-Alerts',
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['states:DescribeExecution', 'states:GetExecutionHistory'],
            Resource: {
              'Fn::Join': ['', Match.arrayWith([':execution:DataStack-*'])],
            },
          }),
        ]),
      },
    });
  });
});

describe('Vault, DataLake and Alerts with every name overridden', () => {
  const stack = new Stack(new App({ context: FEATURE_FLAGS }), 'Named', {
    env: { account: '222222222222', region: 'eu-west-1' },
  });
  new Vault(stack, 'Vault', { appSecrets: ['partner-api'], secretNamePrefix: 'acme/dev/' });
  new DataLake(stack, 'DataLake', {
    bucketNames: { raw: 'acme-raw-222222222222' },
    landingExpiration: Duration.days(14),
    exportBucketName: 'acme-export-222222222222',
  });
  new Alerts(stack, 'Alerts', {
    slackWorkspaceId: 'T07ACME0001',
    slackChannelId: 'C07DEVALERT',
    topicName: 'acme-alerts',
    slackChannelConfigurationName: 'acme-slack',
    stateMachineNamePrefix: 'acme-dev-',
  });
  const template = Template.fromStack(stack);

  it('should use the names given', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'acme/dev/apps/partner-api' });
    template.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'acme-raw-222222222222' });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'acme-alerts' });
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', { ConfigurationName: 'acme-slack' });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Resource: 'arn:aws:states:eu-west-1:222222222222:stateMachine:acme-dev-*' }),
        ]),
      },
    });
  });

  it('should use the landing expiration given', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Id: 'ExpireLanding', ExpirationInDays: 14 })]),
      },
    });
  });

  it('should let the export bucket named deliver its access logs below export/', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloneExportAccessLogs',
            Condition: {
              ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::acme-export-222222222222' },
              StringEquals: { 'aws:SourceAccount': '222222222222' },
            },
          }),
        ]),
      },
    });
  });
});

describe('names given to Vault, DataLake and Alerts are checked', () => {
  const stack = () => new Stack(new App(), 'Bad');

  it('fails when a secret name prefix has a space', () => {
    expect(() => new Vault(stack(), 'Vault', { secretNamePrefix: 'acme dev/' })).toThrow(
      'Vault secretNamePrefix must be letters, digits and /_+=.@-, got: "acme dev/"',
    );
  });

  it('fails when a bucket name has capitals', () => {
    expect(() => new DataLake(stack(), 'DataLake', { bucketNames: { landing: 'Acme-Landing' } })).toThrow(
      'DataLake bucketNames.landing must be 3-63 lowercase letters, digits, dots and hyphens, starting and ending ' +
        'with a letter or digit, got: "Acme-Landing"',
    );
  });

  it('fails when a state machine prefix has a colon', () => {
    expect(
      () =>
        new Alerts(stack(), 'Alerts', {
          slackWorkspaceId: 'T07ACME0001',
          slackChannelId: 'C07DEVALERT',
          stateMachineNamePrefix: 'acme:dev',
        }),
    ).toThrow('Alerts stateMachineNamePrefix must be 1-79 letters, digits, - and _, got: "acme:dev"');
  });
});

describe('the cdk-nag acknowledgements of Vault, DataLake and Alerts under either partition rendering', () => {
  it('should hold when ARNs carry a literal partition (arn:aws:, as in a new cdk init app)', () => {
    const app = withNag(FEATURE_FLAGS);
    const stack = plainStack(app, { account: '222222222222', region: 'eu-west-1' });
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).toContain('arn:aws:states:eu-west-1');
    expect(synthToDir(app).violations).toStrictEqual([]);
  });

  it('should hold when ARNs carry the partition as a reference (arn:<AWS::Partition>:)', () => {
    const app = withNag({ ...FEATURE_FLAGS, '@aws-cdk/core:enablePartitionLiterals': false });
    const stack = plainStack(app, { account: '222222222222', region: 'eu-west-1' });
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('arn:aws:');
    expect(synthToDir(app).violations).toStrictEqual([]);
  });

  it('should hold in an environment-agnostic stack', () => {
    const app = withNag(FEATURE_FLAGS);
    plainStack(app);
    expect(synthToDir(app).violations).toStrictEqual([]);
  });
});
