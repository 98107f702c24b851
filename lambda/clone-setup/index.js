'use strict';
/**
 * The deploy-time run of the clone setup state machine, as the two handlers of a CloudFormation custom resource
 * provider (aws-cdk-lib/custom-resources `Provider`), run on Lambda (Node.js, AWS SDK v3 from the runtime):
 *
 *   onEvent     Create, and Update when the setup fingerprint changed: starts one execution of the setup state
 *               machine named in the request (StateMachineArn) and returns its ARN. Delete, and an Update that
 *               leaves the fingerprint unchanged, start nothing.
 *   isComplete  DescribeExecution: RUNNING (or PENDING_REDRIVE) is not complete yet; SUCCEEDED completes the
 *               resource; FAILED, TIMED_OUT and ABORTED throw, with the execution's error and cause, which fails the
 *               resource (and the deploy) with that message in the CloudFormation event.
 *
 * The execution's input is `{"setup": FINGERPRINT}` and carries no secret; neither handler logs an execution's input
 * or output. The execution name derives from the CloudFormation request id, so a repeated onEvent call for the same
 * request finds the execution it already started instead of starting a second one, and a new deploy (after fixing
 * what made the setup fail) starts a fresh one.
 *
 * `handlers(client)` holds the logic and takes an SFN client, so the tests run it against a Step Functions endpoint
 * of their own; `onEvent` and `isComplete` wire the SDK of the Lambda runtime.
 */

/** Longest cause quoted in the failure message (CloudFormation keeps about 4 KB of a resource's status reason). */
const MAX_CAUSE = 1500;
const NOT_YET = new Set(['RUNNING', 'PENDING_REDRIVE']);
const ENDED_BADLY = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

function required(props, name) {
  const value = props && props[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new Error(`ResourceProperties.${name} must be a non-empty string, got: ${JSON.stringify(value)}`);
  }
  return value;
}

/** The execution name for one CloudFormation request: at most 80 characters of [A-Za-z0-9-_]. */
function executionName(fingerprint, requestId) {
  return `setup-${fingerprint}-${requestId}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

/** The ARN of the execution `name` of a state machine (what StartExecution returns for that name). */
function executionArn(stateMachineArn, name) {
  const parts = stateMachineArn.split(':');
  // arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME
  return [...parts.slice(0, 5), 'execution', parts[6], name].join(':');
}

function shorten(text) {
  const s = String(text);
  return s.length > MAX_CAUSE ? `${s.slice(0, MAX_CAUSE)}... (${s.length - MAX_CAUSE} more characters)` : s;
}

function handlers(client, sfn, log = () => {}) {
  async function onEvent(event) {
    const props = event.ResourceProperties || {};
    const stateMachineArn = required(props, 'StateMachineArn');
    const fingerprint = required(props, 'Fingerprint');
    const physicalId = event.PhysicalResourceId || stateMachineArn;
    if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId };
    const old = event.OldResourceProperties || {};
    if (event.RequestType === 'Update' && old.Fingerprint === fingerprint) {
      log(`setup fingerprint ${fingerprint} unchanged: nothing to run`);
      return { PhysicalResourceId: physicalId, Data: {} };
    }
    if (event.RequestType !== 'Create' && event.RequestType !== 'Update') {
      throw new Error(`RequestType must be Create, Update or Delete, got: ${JSON.stringify(event.RequestType)}`);
    }
    const name = executionName(fingerprint, required(event, 'RequestId'));
    let arn;
    try {
      const started = await client.send(
        new sfn.StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ setup: fingerprint }) }),
      );
      arn = started.executionArn;
    } catch (e) {
      // The same request again (a retried onEvent): the execution it started is the one to wait for.
      if (!e || e.name !== 'ExecutionAlreadyExists') throw e;
      arn = executionArn(stateMachineArn, name);
    }
    log(`started ${arn}`);
    return { PhysicalResourceId: stateMachineArn, Data: { ExecutionArn: arn } };
  }

  async function isComplete(event) {
    const arn = event.Data && event.Data.ExecutionArn;
    if (event.RequestType === 'Delete' || arn === undefined) return { IsComplete: true };
    const d = await client.send(new sfn.DescribeExecutionCommand({ executionArn: arn }));
    log(`${arn}: ${d.status}`);
    if (d.status === 'SUCCEEDED') return { IsComplete: true };
    if (NOT_YET.has(d.status)) return { IsComplete: false };
    if (ENDED_BADLY.has(d.status)) {
      const why =
        d.error === undefined && d.cause === undefined
          ? 'no error or cause recorded'
          : `${d.error ?? 'no error name'}: ${shorten(d.cause ?? 'no cause recorded')}`;
      throw new Error(`the clone setup execution ${arn} ended ${d.status}: ${why}`);
    }
    throw new Error(`the clone setup execution ${arn} has an unknown status: ${JSON.stringify(d.status)}`);
  }

  return { onEvent, isComplete };
}

let runtime;
function fromRuntime() {
  if (runtime === undefined) {
    const sfn = require('@aws-sdk/client-sfn');
    runtime = handlers(new sfn.SFNClient({}), sfn, (m) => console.log(m));
  }
  return runtime;
}

exports.onEvent = (event) => fromRuntime().onEvent(event);
exports.isComplete = (event) => fromRuntime().isComplete(event);
exports.handlers = handlers;
exports.executionName = executionName;
exports.executionArn = executionArn;
