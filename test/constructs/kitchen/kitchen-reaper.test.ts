import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../lib/app';
import '../../../lib/local/runner'; // installs the Promise.withResolvers polyfill aws-local-stepfunctions needs on Node 20
import { resolveDefinition } from '../../../lib/local/definition';
import { exampleConfig } from '../../support/app';
import { synthesizeKitchens, type SynthesizedKitchen } from '../../support/kitchen-assembly';

describe('the Kitchen reaper of the development environment', () => {
  const built = buildApp(exampleConfig(), { nag: false, environments: ['dev'] });
  const host = built.kitchenHosts.dev;
  const template = Template.fromStack(host);

  it('should live in its own stack, only for environments that host Kitchens', () => {
    expect(host.stackName).toBe('acme-dev-kitchens');
    expect(Object.keys(built.kitchenHosts)).toStrictEqual(['dev']);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
  });

  it('should be able to delete only this environment’s Kitchen stacks', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    const deletes = statements.filter((s: { Action: string | string[] }) =>
      [s.Action].flat().includes('cloudformation:DeleteStack'),
    );
    expect(deletes).toHaveLength(1);
    expect(JSON.stringify(deletes[0].Resource)).toContain(':stack/acme-dev-kitchen-*/*');
    const passRole = statements.find((s: { Action: string | string[] }) => [s.Action].flat().includes('iam:PassRole'));
    expect(passRole.Condition).toStrictEqual({
      StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
    });
  });

  describe('fed the stacks of synthesized Kitchens, with their stack tags from the cloud assembly', () => {
    const config = exampleConfig();
    // expired: created with an expiry in the past; fresh: the default time to live from now
    const [old, stuck, late, untagged] = synthesizeKitchens(
      config,
      ['old-report', 'stuck-report', 'late-report', 'untagged-report'],
      { kitchenExpires: '2026-01-05T09:00:00Z' },
    );
    const [fresh] = synthesizeKitchens(config, ['fresh-report']);
    const arn = (stackName: string) =>
      `arn:aws:cloudformation:eu-west-1:222222222222:stack/${stackName}/${stackName.length}f3c`;
    const asTagged = (k: SynthesizedKitchen, tags = k.tags) => ({ ResourceARN: arn(k.stackName), Tags: tags });
    // broken: the expiry tag of a real Kitchen set to something that is not a time, or missing altogether
    const garbled = {
      ...asTagged(
        late,
        late.tags.map((t) => (t.Key === 'kitchens:expires' ? { ...t, Value: 'next tuesday' } : t)),
      ),
    };
    const noExpiry = asTagged(
      untagged,
      untagged.tags.filter((t) => t.Key !== 'kitchens:expires'),
    );

    it('should carry every Kitchen tag on the stack artifact, as the toolkit passes them to CloudFormation', () => {
      expect(old.tags).toStrictEqual(
        expect.arrayContaining([
          { Key: 'kitchens:project', Value: 'acme' },
          { Key: 'kitchens:environment', Value: 'dev' },
          { Key: 'kitchens:kitchen', Value: 'old-report' },
          { Key: 'kitchens:owner', Value: 'jane' },
          { Key: 'kitchens:parent', Value: 'dev' },
          { Key: 'kitchens:expires', Value: '2026-01-05T09:00:00Z' },
        ]),
      );
      expect(fresh.tags.find((t) => t.Key === 'kitchens:expires')!.Value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00Z$/);
    });

    it('should delete the expired ones, report the broken ones and the failed delete, and keep the fresh one', async () => {
      const { StateMachine } = await import('aws-local-stepfunctions');
      const definition = resolveDefinition(host.reaper.stateMachine);
      const pages: Record<string, unknown> = {
        '': { ResourceTagMappingList: [asTagged(old), asTagged(stuck), garbled], PaginationToken: 'page-2' },
        'page-2': { ResourceTagMappingList: [asTagged(fresh), noExpiry], PaginationToken: '' },
      };
      const listed: { PaginationToken: string }[] = [];
      const deleteAttempts: string[] = [];
      const alerts: { Subject: string; Message: unknown }[] = [];
      const machine = new StateMachine(definition as never, {
        validationOptions: { checkPaths: false, checkArn: false },
      });
      const execution = machine.run({}, {
        overrides: {
          retryIntervalOverrides: { 'Delete expired Kitchen': 0 },
          taskResourceLocalHandlers: {
            'List Kitchen stacks': async (input: { PaginationToken: string }) => {
              listed.push(input);
              return pages[input.PaginationToken];
            },
            'Delete expired Kitchen': async (input: { StackName: string }) => {
              deleteAttempts.push(input.StackName);
              if (input.StackName === arn(stuck.stackName)) {
                const error = new Error('Stack is in UPDATE_IN_PROGRESS state and can not be deleted');
                error.name = 'CloudFormation.CloudFormationException';
                throw error;
              }
              return {};
            },
            'Announce deletion': async (input: { Subject: string; Message: unknown }) => {
              alerts.push(input);
              return { MessageId: 'm' };
            },
            'Report failed deletion': async (input: { Subject: string; Message: unknown }) => {
              alerts.push(input);
              return { MessageId: 'm' };
            },
            'Report missing or invalid expiry': async (input: { Subject: string; Message: unknown }) => {
              alerts.push(input);
              return { MessageId: 'm' };
            },
          },
        },
      } as never);
      const output = (await execution.result) as { outcomes: unknown };

      // THEN both pages were read with the project's tag filters
      expect(listed.map((l) => l.PaginationToken)).toStrictEqual(['', 'page-2']);
      expect(listed[0]).toMatchObject({
        ResourceTypeFilters: ['cloudformation:stack'],
        TagFilters: [
          { Key: 'kitchens:project', Values: ['acme'] },
          { Key: 'kitchens:environment', Values: ['dev'] },
          { Key: 'kitchens:kitchen' },
        ],
      });
      // the expired Kitchen was deleted once; the stuck one was tried three times (two retries)
      expect(deleteAttempts.filter((a) => a === arn(old.stackName))).toHaveLength(1);
      expect(deleteAttempts.filter((a) => a === arn(stuck.stackName))).toHaveLength(3);
      expect(new Set(deleteAttempts)).toStrictEqual(new Set([arn(old.stackName), arn(stuck.stackName)]));
      // one alert per outcome that needs a person
      expect(alerts.map((a) => a.Subject).sort()).toStrictEqual([
        'Kitchen late-report has no valid kitchens:expires tag and was not deleted (dev)',
        'Kitchen old-report expired and is being deleted (dev)',
        'Kitchen stuck-report expired but could not be deleted (dev)',
        'Kitchen untagged-report has no valid kitchens:expires tag and was not deleted (dev)',
      ]);
      // the SNS integration sends the message object as JSON; the local engine hands it over as is
      const failed = alerts.find((a) => a.Subject.startsWith('Kitchen stuck-report'))!.Message as Record<
        string,
        string
      >;
      expect(failed).toMatchObject({
        kitchen: 'stuck-report',
        stack: arn(stuck.stackName),
        expires: '2026-01-05T09:00:00Z',
        error: 'CloudFormation.CloudFormationException',
      });
      expect(failed.cause).toContain('can not be deleted');
      // the execution itself succeeds, with the outcomes of the last page
      expect(output.outcomes).toStrictEqual([
        { kitchen: 'fresh-report', stack: arn(fresh.stackName), outcome: 'kept' },
        { kitchen: 'untagged-report', stack: arn(untagged.stackName), outcome: 'skipped-invalid-expiry' },
      ]);
    });
  });
});
