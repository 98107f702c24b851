import { Annotations, RemovalPolicy } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { Stage } from '../../lib/config/model';

/**
 * The removal policy stateful resources get. Production always retains: a request to destroy production data
 * is downgraded, with a warning on the construct.
 */
export function statefulRemovalPolicy(
  scope: IConstruct,
  stage: Stage | 'kitchen',
  requested: 'retain' | 'destroy',
): RemovalPolicy {
  if (requested === 'destroy' && stage === 'production') {
    Annotations.of(scope).addWarningV2(
      'cdk-kitchens:production-retain',
      'removalPolicy "destroy" was requested for production; production data is always retained (RETAIN used instead)',
    );
    return RemovalPolicy.RETAIN;
  }
  return requested === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}
