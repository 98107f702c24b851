import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../lib/app';
import '../../../lib/local/runner'; // installs the Promise.withResolvers polyfill aws-local-stepfunctions needs on Node 20
import { resolveDefinition } from '../../../lib/local/definition';
import { exampleConfig } from '../../support/app';
import { synthesizeKitchens, type SynthesizedKitchen } from '../../support/kitchen-assembly';

const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFm0QfXr3bJ0rXw9yLQy1l5h3bKc0mQvG2x0E8bA9Zc1 jane@laptop';

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

  it('should check deletions by stack id, force only after DELETE_FAILED, and read only Kitchen stacks', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    for (const action of [
      'cloudformation:DescribeStacks',
      'cloudformation:ListStackResources',
      'cloudformation:DeleteStack',
    ]) {
      const granted = statements.filter((s: { Action: string | string[] }) => [s.Action].flat().includes(action));
      expect(granted.length).toBeGreaterThan(0);
      for (const statement of granted)
        expect(JSON.stringify(statement.Resource)).toContain(':stack/acme-dev-kitchen-*/*');
    }
    const definition = resolveDefinition(host.reaper.stateMachine) as {
      TimeoutSeconds: number;
      States: Record<
        string,
        {
          Iterator?: { States: Record<string, Record<string, unknown>> };
          ItemProcessor?: { States: Record<string, Record<string, unknown>> };
        }
      >;
    };
    const states = definition.States['Each Kitchen'].ItemProcessor!.States;
    expect(states['Force delete stuck Kitchen'].Parameters).toStrictEqual({
      'StackName.$': '$.stackArn',
      DeletionMode: 'FORCE_DELETE_STACK',
    });
    expect(states['Check deletion'].Parameters).toStrictEqual({ 'StackName.$': '$.stackArn' });
    expect(states['Wait for deletion'].Seconds).toBe(30);
    // every publish is caught
    const publishes = Object.entries(states).filter(([, st]) => String(st.Resource).includes(':sns:publish'));
    expect(publishes.map(([name]) => name).sort()).toStrictEqual([
      'Announce deletion',
      'Announce forced deletion',
      'Report deletion still in progress',
      'Report failed deletion',
      'Report live child Kitchens',
      'Report missing or invalid expiry',
      'Report stuck deletion',
      'Report uncounted child Kitchens',
    ]);
    for (const [, st] of publishes) {
      expect(st.Catch).toStrictEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'] })]);
    }
    // bounded: a delete and a forced delete of 10 minutes each fit in one run, and a run ends before the next
    expect(definition.TimeoutSeconds).toBe(55 * 60);
  });

  describe('fed the stacks of synthesized Kitchens, with their stack tags from the cloud assembly', () => {
    const config = exampleConfig();
    // expired: created with an expiry in the past; fresh: the default time to live from now
    const expiredKitchens = synthesizeKitchens(
      config,
      [
        'old-report',
        'stuck-report',
        'broken-report',
        'slow-report',
        'refused-report',
        'muted-report',
        'late-report',
        'untagged-report',
      ],
      { kitchenExpires: '2026-01-05T09:00:00Z', kitchenSshKey: SSH_KEY },
    );
    const byName = Object.fromEntries(expiredKitchens.map((k) => [k.stackName.replace('acme-dev-kitchen-', ''), k]));
    const { 'old-report': old, 'stuck-report': stuck, 'late-report': late, 'untagged-report': untagged } = byName;
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

    it('should name what a Kitchen holds outside its resources in its stack outputs', () => {
      expect(stuck.outputs).toStrictEqual([
        { OutputKey: 'KitchenSchema', OutputValue: 'k_stuck_report', Description: expect.any(String) },
        { OutputKey: 'KitchenDatabaseUser', OutputValue: 'k_stuck_report_user', Description: expect.any(String) },
        { OutputKey: 'KitchenDataPrefix', OutputValue: 'kitchens/stuck-report/', Description: expect.any(String) },
        { OutputKey: 'KitchenSftpUser', OutputValue: 'k-stuck-report', Description: expect.any(String) },
        // and what a re-run of kitchen create keeps
        { OutputKey: 'KitchenSlackChannel', OutputValue: 'C07KITCHENS', Description: expect.any(String) },
        { OutputKey: 'KitchenSshKey', OutputValue: SSH_KEY, Description: expect.any(String) },
      ]);
      expect(fresh.outputs.map((o) => o.OutputKey)).toStrictEqual([
        'KitchenSchema',
        'KitchenDatabaseUser',
        'KitchenDataPrefix',
        'KitchenSlackChannel',
      ]);
    });

    it('should finish every delete it starts, force stuck ones, report each outcome, and survive failed publishes', async () => {
      const { StateMachine } = await import('aws-local-stepfunctions');
      const definition = resolveDefinition(host.reaper.stateMachine);
      const expired = ['old-report', 'stuck-report', 'broken-report', 'slow-report', 'refused-report', 'muted-report'];
      const pages: Record<string, unknown> = {
        '': { ResourceTagMappingList: [garbled, asTagged(fresh), noExpiry], PaginationToken: 'page-2' },
        'page-2': { ResourceTagMappingList: expired.map((k) => asTagged(byName[k])), PaginationToken: '' },
      };
      // What CloudFormation does with each stack, by stack id; a name never resolves once a stack is deleted.
      const stacks = new Map(
        expired.map((k) => [
          arn(byName[k].stackName),
          { kitchen: k, status: 'CREATE_COMPLETE', checks: 0, forced: false },
        ]),
      );
      const calls: { state: string; input: Record<string, unknown> }[] = [];
      const alerts: { Subject: string; Message: Record<string, unknown> }[] = [];
      const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });
      const stackOf = (input: { StackName: string }) => {
        const stack = stacks.get(input.StackName);
        if (!stack)
          throw awsError('CloudFormation.CloudFormationException', `Stack with id ${input.StackName} does not exist`);
        return stack;
      };
      const deleteStack = (state: string) => async (input: { StackName: string; DeletionMode?: string }) => {
        calls.push({ state, input });
        const stack = stackOf(input);
        if (stack.kitchen === 'refused-report')
          throw awsError(
            'CloudFormation.CloudFormationException',
            'Stack is in UPDATE_IN_PROGRESS state and can not be deleted',
          );
        if (input.DeletionMode === 'FORCE_DELETE_STACK') {
          if (stack.status !== 'DELETE_FAILED')
            throw awsError(
              'CloudFormation.CloudFormationException',
              'FORCE_DELETE_STACK is allowed only in DELETE_FAILED',
            );
          stack.forced = true;
        }
        stack.status = 'DELETE_IN_PROGRESS';
        stack.checks = 0;
        return {};
      };
      const reasonOf = 'The following resource(s) failed to delete: [KitchenSchema0F3C]. ';
      const describe = async (input: { StackName: string }) => {
        calls.push({ state: 'Check deletion', input });
        const stack = stackOf(input);
        stack.checks += 1;
        if (stack.status === 'DELETE_IN_PROGRESS') {
          const next: Record<string, string> = {
            'old-report': stack.checks >= 2 ? 'DELETE_COMPLETE' : 'DELETE_IN_PROGRESS',
            'muted-report': 'DELETE_COMPLETE',
            'stuck-report': stack.forced ? 'DELETE_COMPLETE' : 'DELETE_FAILED',
            'broken-report': 'DELETE_FAILED',
            'slow-report': 'DELETE_IN_PROGRESS',
          };
          stack.status = next[stack.kitchen];
        }
        const kitchen = byName[stack.kitchen];
        return {
          Stacks: [
            {
              StackId: input.StackName,
              StackName: kitchen.stackName,
              StackStatus: stack.status,
              ...(stack.status === 'DELETE_FAILED' ? { StackStatusReason: reasonOf } : {}),
              ...(stack.status === 'DELETE_COMPLETE' ? {} : { Outputs: kitchen.outputs }),
            },
          ],
        };
      };
      const publish = (state: string) => async (input: { Subject: string; Message: Record<string, unknown> }) => {
        calls.push({ state, input });
        if (input.Subject.startsWith('Kitchen muted-report'))
          throw awsError('KMS.KMSAccessDeniedException', 'not allowed to use the key');
        alerts.push(input);
        return { MessageId: 'm' };
      };
      const machine = new StateMachine(definition as never, {
        validationOptions: { checkPaths: false, checkArn: false },
      });
      const publishStates = [
        'Announce deletion',
        'Announce forced deletion',
        'Report failed deletion',
        'Report missing or invalid expiry',
        'Report deletion still in progress',
        'Report stuck deletion',
      ];
      const execution = machine.run({}, {
        overrides: {
          waitTimeOverrides: { 'Wait for deletion': 0 },
          retryIntervalOverrides: Object.fromEntries(
            [
              'Delete expired Kitchen',
              'Force delete stuck Kitchen',
              'Check deletion',
              'List resources that failed to delete',
              ...publishStates,
            ].map((n) => [n, 0]),
          ),
          taskResourceLocalHandlers: {
            'List Kitchen stacks': async (input: { PaginationToken: string }) => pages[input.PaginationToken],
            'Find child Kitchens': async () => ({ ResourceTagMappingList: [], PaginationToken: '' }),
            'Delete expired Kitchen': deleteStack('Delete expired Kitchen'),
            'Force delete stuck Kitchen': deleteStack('Force delete stuck Kitchen'),
            'Check deletion': describe,
            'List resources that failed to delete': async (input: { StackName: string }) => {
              calls.push({ state: 'List resources that failed to delete', input });
              stackOf(input);
              return {
                StackResourceSummaries: [
                  {
                    LogicalResourceId: 'KitchenSchema0F3C',
                    PhysicalResourceId: 'kitchen-schema:x',
                    ResourceType: 'Custom::KitchenSchema',
                    ResourceStatus: 'DELETE_FAILED',
                    ResourceStatusReason: 'Failed to delete resource. permission denied for schema',
                  },
                  {
                    LogicalResourceId: 'KitchenAlertsTopic',
                    PhysicalResourceId: 'arn:aws:sns:eu-west-1:222222222222:t',
                    ResourceType: 'AWS::SNS::Topic',
                    ResourceStatus: 'DELETE_COMPLETE',
                  },
                ],
              };
            },
            ...Object.fromEntries(publishStates.map((n) => [n, publish(n)])),
          },
        },
      } as never);
      const output = (await execution.result) as { outcomes: unknown };
      const subjects = alerts.map((a) => a.Subject).sort();
      const alertOf = (kitchen: string) => alerts.find((a) => a.Subject.startsWith(`Kitchen ${kitchen} `))!.Message;
      const callsOf = (kitchen: string, state: string) =>
        calls.filter(
          (c) =>
            c.state === state &&
            (c.input.StackName === arn(byName[kitchen].stackName) ||
              String(c.input.Subject ?? '').startsWith(`Kitchen ${kitchen} `)),
        );

      // THEN every Kitchen of the second page ends in its own outcome, the muted one included
      expect(output.outcomes).toStrictEqual([
        { kitchen: 'old-report', stack: arn(old.stackName), outcome: 'deleted', alerted: true },
        { kitchen: 'stuck-report', stack: arn(stuck.stackName), outcome: 'force-deleted', alerted: true },
        {
          kitchen: 'broken-report',
          stack: arn(byName['broken-report'].stackName),
          outcome: 'delete-failed',
          alerted: true,
        },
        {
          kitchen: 'slow-report',
          stack: arn(byName['slow-report'].stackName),
          outcome: 'delete-timed-out',
          alerted: true,
        },
        {
          kitchen: 'refused-report',
          stack: arn(byName['refused-report'].stackName),
          outcome: 'delete-failed',
          alerted: true,
        },
        {
          kitchen: 'muted-report',
          stack: arn(byName['muted-report'].stackName),
          outcome: 'deleted',
          alerted: false,
          alertError: 'KMS.KMSAccessDeniedException',
        },
      ]);
      expect(subjects).toStrictEqual([
        'Kitchen broken-report expired but its stack could not be deleted (dev)',
        'Kitchen late-report has no valid kitchens:expires tag and was not deleted (dev)',
        'Kitchen old-report expired and was deleted (dev)',
        'Kitchen refused-report expired but could not be deleted (dev)',
        'Kitchen slow-report expired and is still being deleted after 10 minutes (dev)',
        'Kitchen stuck-report expired and was deleted by force; some of its resources were left behind (dev)',
        'Kitchen untagged-report has no valid kitchens:expires tag and was not deleted (dev)',
      ]);
      // a deletion is announced only once CloudFormation says DELETE_COMPLETE, checked by stack id
      expect(callsOf('old-report', 'Check deletion')).toHaveLength(2);
      expect(
        calls
          .filter((c) => c.state === 'Check deletion')
          .every((c) => String(c.input.StackName).startsWith('arn:aws:cloudformation:')),
      ).toBe(true);
      // DELETE_FAILED is retried once with FORCE_DELETE_STACK, and what it left behind is named
      expect(callsOf('stuck-report', 'Force delete stuck Kitchen').map((c) => c.input)).toStrictEqual([
        { StackName: arn(stuck.stackName), DeletionMode: 'FORCE_DELETE_STACK' },
      ]);
      expect(alertOf('stuck-report')).toMatchObject({
        kitchen: 'stuck-report',
        firstAttempt: reasonOf,
        leftBehind: [
          expect.objectContaining({ LogicalResourceId: 'KitchenSchema0F3C', ResourceType: 'Custom::KitchenSchema' }),
        ],
        kitchenResources: stuck.outputs,
      });
      expect(JSON.stringify(alertOf('stuck-report'))).toContain('k_stuck_report');
      // still failing after the forced delete: reported with CloudFormation's reason, not forced twice
      expect(callsOf('broken-report', 'Force delete stuck Kitchen')).toHaveLength(1);
      expect(alertOf('broken-report')).toMatchObject({
        status: 'DELETE_FAILED',
        reason: reasonOf,
        mode: 'FORCE_DELETE_STACK',
      });
      // bounded wait: 10 minutes at one check every 30 seconds
      expect(callsOf('slow-report', 'Check deletion')).toHaveLength(20);
      // a refused DeleteStack is tried three times and reported with its error
      expect(callsOf('refused-report', 'Delete expired Kitchen')).toHaveLength(3);
      expect(alertOf('refused-report')).toMatchObject({
        error: 'CloudFormation.CloudFormationException',
        cause: expect.stringContaining('can not be deleted'),
      });
      // the publish that keeps failing was tried three times, then caught
      expect(callsOf('muted-report', 'Announce deletion')).toHaveLength(3);
    });

    it('should keep an expired parent while a child Kitchen lives, and delete it on a later run once the child is gone', async () => {
      const { StateMachine } = await import('aws-local-stepfunctions');
      const definition = resolveDefinition(host.reaper.stateMachine);
      const [parent, orphan] = synthesizeKitchens(config, ['parent-report', 'orphan-report'], {
        kitchenExpires: '2026-01-05T09:00:00Z',
      });
      const [child, twin, done, other] = synthesizeKitchens(config, [
        'child-report',
        'twin-report',
        'done-report',
        'other-report',
      ]);
      // children: their stack tags as the toolkit passes them, with kitchens:parent naming the parent Kitchen
      const childOf = (k: SynthesizedKitchen, parentName: string) =>
        asTagged(
          k,
          k.tags.map((t) => (t.Key === 'kitchens:parent' ? { ...t, Value: parentName } : t)),
        );
      // child-report and twin-report live under parent-report, done-report (deleted) was its child too
      const allTagged = [
        asTagged(parent),
        asTagged(orphan),
        childOf(child, 'parent-report'),
        childOf(twin, 'parent-report'),
        childOf(done, 'parent-report'),
        // a child of an orphan-report, but in another project: not this environment's orphan-report's child
        {
          ResourceARN: arn(other.stackName),
          Tags: childOf(other, 'orphan-report').Tags.map((t) =>
            t.Key === 'kitchens:project' ? { ...t, Value: 'other' } : t,
          ),
        },
      ];
      const status = new Map<string, string>([
        [arn(parent.stackName), 'CREATE_COMPLETE'],
        [arn(orphan.stackName), 'CREATE_COMPLETE'],
        [arn(child.stackName), 'UPDATE_COMPLETE'],
        [arn(twin.stackName), 'CREATE_COMPLETE'],
        [arn(done.stackName), 'DELETE_COMPLETE'],
        [arn(other.stackName), 'CREATE_COMPLETE'],
      ]);
      // The Resource Groups Tagging API: every stack whose tags match every filter (a filter without values
      // matches any value), deleted ones included, so the reaper must read each child's status itself.
      const getResources = (input: { TagFilters: { Key: string; Values?: string[] }[] }) => ({
        ResourceTagMappingList: allTagged.filter((r) =>
          input.TagFilters.every((f) =>
            r.Tags.some((t) => t.Key === f.Key && (!f.Values || f.Values.includes(t.Value))),
          ),
        ),
        PaginationToken: '',
      });
      const alerts: { Subject: string; Message: Record<string, unknown> }[] = [];
      const deletes: string[] = [];
      const checked: string[] = [];
      let truncatedChildren = false;
      const run = async () => {
        alerts.length = 0;
        deletes.length = 0;
        checked.length = 0;
        const machine = new StateMachine(definition as never, {
          validationOptions: { checkPaths: false, checkArn: false },
        });
        const execution = machine.run({}, {
          overrides: {
            waitTimeOverrides: { 'Wait for deletion': 0 },
            retryIntervalOverrides: { 'Check child Kitchen': 0 },
            taskResourceLocalHandlers: {
              'List Kitchen stacks': async (input: { TagFilters: { Key: string; Values?: string[] }[] }) => ({
                ...getResources(input),
                // the tagging API no longer lists a deleted stack in the environment's own listing
                ResourceTagMappingList: getResources(input).ResourceTagMappingList.filter(
                  (r) => status.get(r.ResourceARN) !== 'DELETE_COMPLETE',
                ),
              }),
              'Find child Kitchens': async (input: { TagFilters: { Key: string; Values?: string[] }[] }) => {
                const found = getResources(input);
                // a truncated listing: only gone children on this page, and a token for the next
                return truncatedChildren
                  ? {
                      ResourceTagMappingList: found.ResourceTagMappingList.filter(
                        (r) => status.get(r.ResourceARN) === 'DELETE_COMPLETE',
                      ),
                      PaginationToken: 'page-2',
                    }
                  : found;
              },
              'Check child Kitchen': async (input: { StackName: string }) => {
                checked.push(input.StackName);
                // a status that cannot be read counts as alive
                if (input.StackName === arn(twin.stackName) && status.get(input.StackName) !== 'DELETE_COMPLETE')
                  throw Object.assign(new Error('Rate exceeded'), { name: 'CloudFormation.ThrottlingException' });
                return { Stacks: [{ StackId: input.StackName, StackStatus: status.get(input.StackName) }] };
              },
              'Delete expired Kitchen': async (input: { StackName: string }) => {
                deletes.push(input.StackName);
                status.set(input.StackName, 'DELETE_IN_PROGRESS');
                return {};
              },
              'Check deletion': async (input: { StackName: string }) => {
                status.set(input.StackName, 'DELETE_COMPLETE');
                return { Stacks: [{ StackId: input.StackName, StackStatus: 'DELETE_COMPLETE' }] };
              },
              ...Object.fromEntries(
                ['Announce deletion', 'Report live child Kitchens', 'Report uncounted child Kitchens'].map((n) => [
                  n,
                  async (input: { Subject: string; Message: Record<string, unknown> }) => {
                    alerts.push(input);
                    return { MessageId: 'm' };
                  },
                ]),
              ),
            },
          },
        } as never);
        return ((await execution.result) as { outcomes: { kitchen: string; outcome: string }[] }).outcomes;
      };

      // WHEN the reaper runs while child-report lives
      const first = await run();
      // THEN parent-report is reported with its live child only and kept; orphan-report, whose child is gone, goes
      expect(first.map((o) => [o.kitchen, o.outcome])).toStrictEqual([
        ['parent-report', 'skipped-live-children'],
        ['orphan-report', 'deleted'],
        ['child-report', 'kept'],
        ['twin-report', 'kept'],
      ]);
      expect(deletes).toStrictEqual([arn(orphan.stackName)]);
      // each child of this project's Kitchens is checked by stack id, the other project's never
      expect([...new Set(checked)].sort()).toStrictEqual([child, twin, done].map((k) => arn(k.stackName)).sort());
      const skipped = alerts.find((a) => a.Subject.startsWith('Kitchen parent-report '))!;
      expect(skipped.Subject).toBe(
        'Kitchen parent-report expired but was not deleted: it has live child Kitchens (dev)',
      );
      expect(skipped.Message).toMatchObject({
        kitchen: 'parent-report',
        outcome: 'skipped: has live children child-report, twin-report',
        liveChildren: 'child-report, twin-report',
        expires: '2026-01-05T09:00:00Z',
      });

      // WHEN the only page of children the reaper reads holds gone ones, and the listing says there is more
      truncatedChildren = true;
      const truncated = await run();
      truncatedChildren = false;
      // THEN parent-report is kept all the same: its unread children may live
      expect(truncated.find((o) => o.kitchen === 'parent-report')?.outcome).toBe('skipped-live-children');
      expect(deletes).not.toContain(arn(parent.stackName));
      expect(alerts.find((a) => a.Subject.startsWith('Kitchen parent-report '))?.Subject).toBe(
        'Kitchen parent-report expired but was not deleted: it has more child Kitchens than one listing returns (dev)',
      );

      // WHEN the children are deleted (they expired, or kitchen delete) and the reaper runs again
      status.set(arn(child.stackName), 'DELETE_COMPLETE');
      status.set(arn(twin.stackName), 'DELETE_COMPLETE');
      const second = await run();
      // THEN the parent goes too
      expect(second.map((o) => [o.kitchen, o.outcome])).toStrictEqual([['parent-report', 'deleted']]);
      expect(deletes).toStrictEqual([arn(parent.stackName)]);
      expect(alerts.map((a) => a.Subject)).toStrictEqual(['Kitchen parent-report expired and was deleted (dev)']);
    });
  });
});
