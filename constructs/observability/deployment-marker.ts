/**
 * Records the git commit a stack was synthesized from, so that CloudFormation itself remembers which commit each
 * deploy carried: the template's `Metadata` holds it (what GetTemplate returns for the deployed stack), and in a
 * release environment an SSM parameter holds it too. A new commit changes the parameter's value, so each deploy of
 * a new commit updates that one resource, and the update's stack events carry the new value in their
 * `ResourceProperties`: that is how `kitchen metrics` learns the commit of past deploys. Stack tags would carry it
 * as well, but CloudFormation copies stack tags onto every taggable resource, so every deploy would touch them all.
 */
import { Stack } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Names } from '../../lib/naming';
import {
  DEPLOYMENT_METADATA_KEY,
  DEPLOYMENT_PARAMETER,
  type DeploymentCommit,
  deploymentMarkerValue,
} from '../../lib/observability/deployment';

/** Writes the commit into the stack template's `Metadata` section. */
export function addDeploymentMetadata(stack: Stack, commit: DeploymentCommit): void {
  stack.templateOptions.metadata = {
    ...stack.templateOptions.metadata,
    [DEPLOYMENT_METADATA_KEY]: { commit: commit.commit, committedAt: commit.committedAt, source: commit.source },
  };
}

/** The environment's deployment marker: an SSM parameter `/<project>/<environment>/deployment/commit`. */
export function addDeploymentMarker(stack: Stack, names: Names, commit: DeploymentCommit): ssm.StringParameter {
  return new ssm.StringParameter(stack, 'DeployedCommit', {
    parameterName: names.parameterName(DEPLOYMENT_PARAMETER),
    stringValue: deploymentMarkerValue(commit),
    description: `cdk-kitchens ${names.stackName}: the git commit of the last deploy (read by kitchen metrics)`,
  });
}
