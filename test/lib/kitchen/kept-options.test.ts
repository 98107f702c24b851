/**
 * Re-running `kitchen create NAME` keeps the Kitchen's staff, SSH key and Slack channel: the synthesized Kitchen stack
 * records them in its outputs, the deployed stack (in moto's CloudFormation, with exactly those outputs) is read
 * back, and the re-run is synthesized with them unless they are given again. A dry run reads nothing.
 */
import type {
  DeployOptions,
  DeployResult,
  FromAssemblyBuilderOptions,
  ICloudAssemblySource,
} from '@aws-cdk/toolkit-lib';
import { buildApp } from '../../../lib/app';
import type { EnvironmentConfig, KitchensConfig } from '../../../lib/config/model';
import { createKitchen, type KitchenToolkit, type SynthesizedAssembly } from '../../../lib/kitchen/deploy';
import { KITCHEN_OPTION_OUTPUTS, keptOptions, mergeKeptOptions } from '../../../lib/kitchen/kept-options';
import { exampleConfigNoCdk } from './config';
import { motoCloudFormation, putStack } from './moto';
import { foldedTemplate } from '../../support/app';

const REGION = 'eu-north-1';
const NOW = new Date('2030-03-01T10:00:00Z');
const STAFF = ['arn:aws:iam::222222222222:role/analyst-jane', 'arn:aws:iam::222222222222:user/bob'];
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFm0QfXr3bJ0rXw9yLQy1l5h3bKc0mQvG2x0E8bA9Zc1 jane@laptop';

/** Records the context each run is synthesized with; deploys nothing. */
class RecordingToolkit implements KitchenToolkit {
  public readonly contexts: Record<string, unknown>[] = [];

  async fromAssemblyBuilder(_b: unknown, props: FromAssemblyBuilderOptions = {}): Promise<ICloudAssemblySource> {
    this.contexts.push(await props.contextStore!.read());
    return { produce: async () => Promise.reject(new Error('never produced')) };
  }

  async synth(cx: ICloudAssemblySource): Promise<SynthesizedAssembly> {
    const c = this.contexts[this.contexts.length - 1];
    const stackName = `acme-${String(c.kitchenEnv)}-kitchen-${String(c.kitchen)}`;
    return {
      ...cx,
      cloudAssembly: { stacksRecursively: [{ stackName, hierarchicalId: stackName, template: { Resources: {} } }] },
      dispose: async () => undefined,
    } as SynthesizedAssembly;
  }

  async deploy(_cx: ICloudAssemblySource, _options: DeployOptions = {}): Promise<DeployResult> {
    return { stacks: [] };
  }

  async destroy(): Promise<never> {
    throw new Error('not used');
  }
}

describe('kitchen create on an existing Kitchen', () => {
  const cfn = motoCloudFormation(REGION);
  let config: KitchensConfig;
  let dev: EnvironmentConfig;
  /** The outputs the real Kitchen stack synthesizes with these options, as CloudFormation will hold them. */
  let outputs: Record<string, string>;

  beforeAll(async () => {
    config = exampleConfigNoCdk();
    dev = config.environments.find((e) => e.name === 'dev')!;
    const built = buildApp(config, {
      nag: false,
      now: NOW,
      environments: [],
      context: {
        kitchen: 'kept-report',
        kitchenOwner: 'jane',
        kitchenStaff: STAFF.join(','),
        kitchenSshKey: SSH_KEY,
        kitchenSlackChannel: 'C07JANEONLY',
      },
    });
    const template = foldedTemplate(built.kitchens['kept-report']).toJSON();
    outputs = Object.fromEntries(Object.entries<{ Value: string }>(template.Outputs).map(([key, o]) => [key, o.Value]));
    await putStack(
      cfn,
      'acme-dev-kitchen-kept-report',
      {
        'kitchens:project': 'acme',
        'kitchens:environment': 'dev',
        'kitchens:kitchen': 'kept-report',
        'kitchens:owner': 'jane',
        'kitchens:parent': 'dev',
        'kitchens:expires': '2030-03-04T10:00:00Z',
      },
      outputs,
    );
  });

  it('should record staff, SSH key and Slack channel in the Kitchen stack outputs', () => {
    expect(outputs).toMatchObject({
      [KITCHEN_OPTION_OUTPUTS.staff]: STAFF.join(','),
      [KITCHEN_OPTION_OUTPUTS.sshPublicKey]: SSH_KEY,
      [KITCHEN_OPTION_OUTPUTS.slackChannelId]: 'C07JANEONLY',
    });
  });

  it('should keep them on a re-run that does not give them', async () => {
    const toolkit = new RecordingToolkit();
    await createKitchen(
      { config, environment: dev, name: 'kept-report', aws: { region: REGION } },
      { toolkit, cloudFormation: cfn, now: NOW, nag: false },
    );
    expect(toolkit.contexts[0]).toStrictEqual({
      kitchen: 'kept-report',
      kitchenEnv: 'dev',
      kitchenOwner: 'jane',
      kitchenParent: 'dev',
      kitchenExpires: '2030-03-04T10:00:00Z',
      kitchenStaff: STAFF.join(','),
      kitchenSshKey: SSH_KEY,
      kitchenSlackChannel: 'C07JANEONLY',
    });
  });

  it('should use what is given again instead', async () => {
    const toolkit = new RecordingToolkit();
    await createKitchen(
      {
        config,
        environment: dev,
        name: 'kept-report',
        staff: ['arn:aws:iam::222222222222:user/carol'],
        slackChannelId: 'C07CAROLXYZ',
        aws: { region: REGION },
      },
      { toolkit, cloudFormation: cfn, now: NOW, nag: false },
    );
    expect(toolkit.contexts[0]).toMatchObject({
      kitchenStaff: 'arn:aws:iam::222222222222:user/carol',
      kitchenSshKey: SSH_KEY,
      kitchenSlackChannel: 'C07CAROLXYZ',
    });
  });

  it('should use only the options given in a dry run (no AWS call)', async () => {
    const toolkit = new RecordingToolkit();
    const noAws = {
      send: async () => {
        throw new Error('a dry run must not call AWS');
      },
    };
    await createKitchen(
      { config, environment: dev, name: 'kept-report', owner: 'jane', aws: { region: REGION }, dryRun: true },
      { toolkit, cloudFormation: noAws as never, now: NOW, nag: false },
    );
    expect(toolkit.contexts[0]).not.toHaveProperty('kitchenStaff');
    expect(toolkit.contexts[0]).not.toHaveProperty('kitchenSshKey');
    expect(toolkit.contexts[0]).toMatchObject({ kitchenSlackChannel: 'C07KITCHENS' });
  });
});

describe('keptOptions and mergeKeptOptions', () => {
  it('should read nothing from a stack without those outputs, or no stack', () => {
    expect(keptOptions(undefined)).toStrictEqual({
      staff: undefined,
      sshPublicKey: undefined,
      slackChannelId: undefined,
    });
    expect(keptOptions({ Outputs: [{ OutputKey: 'KitchenSchema', OutputValue: 'k_x' }] })).toStrictEqual({
      staff: undefined,
      sshPublicKey: undefined,
      slackChannelId: undefined,
    });
  });

  it('should prefer what is given, option by option', () => {
    const kept = { staff: ['a'], sshPublicKey: 'k', slackChannelId: 'C1' };
    expect(mergeKeptOptions({ sshPublicKey: 'new' }, kept)).toStrictEqual({
      staff: ['a'],
      sshPublicKey: 'new',
      slackChannelId: 'C1',
    });
  });
});
