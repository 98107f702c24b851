/**
 * The deploy-time handlers of the clone setup (lambda/clone-setup), run in-process against Step Functions on a
 * private moto server that executes state machines (moto's `execute_state_machine` mode), so success, failure with
 * an error and a cause, a timeout, an abort and a still-running execution are real execution outcomes.
 *
 * The server is private because that mode is server-wide. moto 5.2.1 in that mode cannot start an execution in a
 * region that already holds a finished one (it fails to copy the state machine), so each case has its own region.
 */
import * as sfn from '@aws-sdk/client-sfn';
import { startMoto, type MotoInstance } from '../../support/services';
// The Lambda code, executed here with an SFN client pointed at moto.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const code = require('../../../lambda/clone-setup/index.js');

const ROLE = 'arn:aws:iam::111111111111:role/acme-production-clone-setup';
const REGIONS = ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-north-1', 'us-east-1', 'us-east-2'];
/** What the setup's key step fails with, as its Fail state writes it (clone-job.test.ts runs that state). */
const KEY_STEP_ERROR = 'CloneStatementFailed';
const KEY_STEP_CAUSE = 'Setup: key (once): ERROR: permission denied for relation hash_key';

/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation custom resource events are untyped JSON */
let moto: MotoInstance;
let region = 0;

beforeAll(async () => {
  moto = await startMoto();
  const res = await fetch(`${moto.endpoint}/moto-api/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
  });
  expect(res.status).toBe(201);
});
afterAll(() => moto.stop());

/** A state machine of its own region, the handlers bound to a client of that region, and the region's client. */
async function setupMachine(name: string, definition: object) {
  const client = new sfn.SFNClient({
    region: REGIONS[region++],
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const { stateMachineArn } = await client.send(
    new sfn.CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: ROLE }),
  );
  const logged: string[] = [];
  return {
    client,
    stateMachineArn: stateMachineArn!,
    handlers: code.handlers(client, sfn, (m: string) => logged.push(m)),
    logged,
  };
}

function request(
  type: 'Create' | 'Update' | 'Delete',
  props: Record<string, string>,
  extra: Record<string, unknown> = {},
) {
  return {
    RequestType: type,
    RequestId: '6f1b7a52-3c1e-4c8e-9a57-0d6c2f1f4b21',
    ResourceType: 'Custom::CloneSetup',
    LogicalResourceId: 'JobSetupRunDAD087A7',
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/acme-production-clone-to-dev/1',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:x', ...props },
    ...extra,
  };
}

/** Calls isComplete the way the provider's waiter does (every interval) until it completes or throws. */
async function waitFor(handlers: any, event: any, tries = 50): Promise<{ IsComplete: boolean }> {
  for (let i = 0; i < tries; i++) {
    const result = await handlers.isComplete(event);
    if (result.IsComplete) return result;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`still not complete after ${tries} polls`);
}

const FINGERPRINT = '581d5300d5c8f3e598c37042348535aa';

describe('the deploy-time clone setup run, against Step Functions', () => {
  it('should start the setup on create and complete when the execution succeeded', async () => {
    const { client, stateMachineArn, handlers, logged } = await setupMachine('acme-production-clone-setup', {
      StartAt: 'Setup',
      States: { Setup: { Type: 'Pass', End: true } },
    });
    const created = await handlers.onEvent(
      request('Create', { StateMachineArn: stateMachineArn, Fingerprint: FINGERPRINT }),
    );
    expect(created.PhysicalResourceId).toBe(stateMachineArn);
    const arn = created.Data.ExecutionArn;
    expect(arn).toBe(
      `${stateMachineArn.replace(':stateMachine:', ':execution:')}:setup-${FINGERPRINT}-6f1b7a52-3c1e-4c8e-9a57-0d6c2f1f4b21`,
    );
    const described = await client.send(new sfn.DescribeExecutionCommand({ executionArn: arn }));
    expect(JSON.parse(described.input!)).toStrictEqual({ setup: FINGERPRINT });
    const event = request('Create', { StateMachineArn: stateMachineArn, Fingerprint: FINGERPRINT }, created);
    await expect(waitFor(handlers, event)).resolves.toStrictEqual({ IsComplete: true });
    // moto runs the execution on its own thread: on a loaded machine a first poll may still see it RUNNING
    expect(logged.filter((line: string) => line !== `${arn}: RUNNING`)).toStrictEqual([
      `started ${arn}`,
      `${arn}: SUCCEEDED`,
    ]);
  });

  it('fails with the execution error and cause when the setup failed, and names the re-run after the fix anew', async () => {
    const { stateMachineArn, handlers } = await setupMachine('acme-production-clone-setup', {
      StartAt: 'Setup: key (once): failed',
      States: { 'Setup: key (once): failed': { Type: 'Fail', Error: KEY_STEP_ERROR, Cause: KEY_STEP_CAUSE } },
    });
    const props = { StateMachineArn: stateMachineArn, Fingerprint: FINGERPRINT };
    const created = await handlers.onEvent(request('Create', props));
    const arn = created.Data.ExecutionArn;
    await expect(waitFor(handlers, request('Create', props, created))).rejects.toThrow(
      `the clone setup execution ${arn} ended FAILED: ${KEY_STEP_ERROR}: ${KEY_STEP_CAUSE}`,
    );
    // The deploy after fixing the cause is a new CloudFormation request, so a new execution name: the failed
    // execution is never taken for the new run. (Starting it is the success case above: moto cannot start a second
    // execution of a machine whose first one has ended.)
    const next = code.executionName(FINGERPRINT, '0b9e3c1d-2f4a-4d5b-8c6e-7f8091a2b3c4');
    expect(code.executionArn(stateMachineArn, next)).not.toBe(arn);
    expect(next).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('should start nothing twice when the same request comes again, and wait for the running execution', async () => {
    const { client, stateMachineArn, handlers } = await setupMachine('acme-production-clone-setup', {
      StartAt: 'Setup: wait',
      States: { 'Setup: wait': { Type: 'Wait', Seconds: 3600, End: true } },
    });
    const props = { StateMachineArn: stateMachineArn, Fingerprint: FINGERPRINT };
    const first = await handlers.onEvent(request('Create', props));
    const retried = await handlers.onEvent(request('Create', props));
    expect(retried).toStrictEqual(first);
    const listed = await client.send(new sfn.ListExecutionsCommand({ stateMachineArn }));
    expect(listed.executions!.map((e) => e.executionArn)).toStrictEqual([first.Data.ExecutionArn]);
    await expect(handlers.isComplete(request('Create', props, first))).resolves.toStrictEqual({ IsComplete: false });

    // Stopped by an operator while the deploy waits: the deploy fails with ABORTED.
    await client.send(new sfn.StopExecutionCommand({ executionArn: first.Data.ExecutionArn }));
    await expect(handlers.isComplete(request('Create', props, first))).rejects.toThrow(
      `the clone setup execution ${first.Data.ExecutionArn} ended ABORTED: no error or cause recorded`,
    );
  });

  it('fails when the setup timed out', async () => {
    const { stateMachineArn, handlers } = await setupMachine('acme-production-clone-setup', {
      TimeoutSeconds: 1,
      StartAt: 'Setup: wait',
      States: { 'Setup: wait': { Type: 'Wait', Seconds: 30, End: true } },
    });
    const props = { StateMachineArn: stateMachineArn, Fingerprint: FINGERPRINT };
    const created = await handlers.onEvent(request('Create', props));
    await expect(waitFor(handlers, request('Create', props, created))).rejects.toThrow(
      `the clone setup execution ${created.Data.ExecutionArn} ended TIMED_OUT: no error or cause recorded`,
    );
  });

  it('should run the setup on update only when its fingerprint changed, and never on delete', async () => {
    const { client, stateMachineArn, handlers } = await setupMachine('acme-production-clone-setup', {
      StartAt: 'Setup',
      States: { Setup: { Type: 'Pass', End: true } },
    });
    const props = { StateMachineArn: stateMachineArn, Fingerprint: FINGERPRINT };
    const physical = { PhysicalResourceId: stateMachineArn };
    const unchanged = await handlers.onEvent(request('Update', props, { ...physical, OldResourceProperties: props }));
    expect(unchanged).toStrictEqual({ PhysicalResourceId: stateMachineArn, Data: {} });
    await expect(handlers.isComplete(request('Update', props, unchanged))).resolves.toStrictEqual({ IsComplete: true });
    const deleted = await handlers.onEvent(request('Delete', props, physical));
    expect(deleted).toStrictEqual({ PhysicalResourceId: stateMachineArn });
    await expect(handlers.isComplete(request('Delete', props, deleted))).resolves.toStrictEqual({ IsComplete: true });
    expect((await client.send(new sfn.ListExecutionsCommand({ stateMachineArn }))).executions).toStrictEqual([]);

    const changed = await handlers.onEvent(
      request('Update', props, { ...physical, OldResourceProperties: { ...props, Fingerprint: 'an older setup' } }),
    );
    await expect(waitFor(handlers, request('Update', props, changed))).resolves.toStrictEqual({ IsComplete: true });
    expect((await client.send(new sfn.ListExecutionsCommand({ stateMachineArn }))).executions).toHaveLength(1);
  });

  it('fails on a request without the state machine or the fingerprint, naming the property', async () => {
    const { handlers } = await setupMachine('acme-production-clone-setup', {
      StartAt: 'Setup',
      States: { Setup: { Type: 'Pass', End: true } },
    });
    await expect(handlers.onEvent(request('Create', { Fingerprint: FINGERPRINT }))).rejects.toThrow(
      'ResourceProperties.StateMachineArn must be a non-empty string, got: undefined',
    );
  });
});
