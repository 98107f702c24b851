import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../lib/app';
import '../../../lib/local/runner'; // installs the Promise.withResolvers polyfill aws-local-stepfunctions needs on Node 20
import { resolveDefinition } from '../../../lib/local/definition';
import { exampleConfig } from '../../support/app';

const tag = (Key: string, Value: string) => ({ Key, Value });
const kitchenStack = (name: string, expires: string) => ({
  ResourceARN: `arn:aws:cloudformation:eu-west-1:222222222222:stack/acme-dev-kitchen-${name}/0f3c${name.length}`,
  Tags: [
    tag('kitchens:project', 'acme'),
    tag('kitchens:environment', 'dev'),
    tag('kitchens:kitchen', name),
    tag('kitchens:expires', expires),
  ],
});

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

  it('should delete expired Kitchens across pages, announce each one, and keep the others', async () => {
    const { StateMachine } = await import('aws-local-stepfunctions');
    const definition = resolveDefinition(host.reaper.stateMachine);
    // the reaper compares with the execution's start time, which the local engine takes from the real clock
    const at = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const pages: Record<string, unknown> = {
      '': {
        ResourceTagMappingList: [kitchenStack('old-one', at(-2 * 24 * 60)), kitchenStack('fresh-one', at(2 * 24 * 60))],
        PaginationToken: 'page-2',
      },
      'page-2': { ResourceTagMappingList: [kitchenStack('stale', at(-1))], PaginationToken: '' },
    };
    const listed: unknown[] = [];
    const deleted: string[] = [];
    const announced: unknown[] = [];
    const machine = new StateMachine(definition as never, {
      validationOptions: { checkPaths: false, checkArn: false },
    });
    const execution = machine.run({}, {
      overrides: {
        taskResourceLocalHandlers: {
          'List Kitchen stacks': async (input: { PaginationToken: string; TagFilters: unknown }) => {
            listed.push(input);
            return pages[input.PaginationToken];
          },
          'Delete expired Kitchen': async (input: { StackName: string }) => {
            deleted.push(input.StackName);
            return {};
          },
          'Announce deletion': async (input: unknown) => {
            announced.push(input);
            return { MessageId: 'm' };
          },
        },
      },
    } as never);
    await execution.result;
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatchObject({
      ResourceTypeFilters: ['cloudformation:stack'],
      TagFilters: [
        { Key: 'kitchens:project', Values: ['acme'] },
        { Key: 'kitchens:environment', Values: ['dev'] },
        { Key: 'kitchens:kitchen' },
      ],
    });
    expect(deleted.sort()).toStrictEqual(
      [kitchenStack('old-one', '').ResourceARN, kitchenStack('stale', '').ResourceARN].sort(),
    );
    expect(announced).toHaveLength(2);
    expect(JSON.stringify(announced)).toContain('Kitchen old-one expired');
  });
});
