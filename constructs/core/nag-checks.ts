/**
 * The cdk-nag AwsSolutions checks as the app's policy validation plugin, without paying for aws-cdk-lib service
 * modules the app declares no resource of.
 *
 * cdk-nag's rules test each resource with `node instanceof CfnDataSource` (from `aws-cdk-lib/aws-quicksight`) and
 * the like. aws-cdk-lib's service modules export their classes lazily: the first read of such a class loads the
 * whole generated module (QuickSight's is 5 MB of JavaScript). Run as shipped, the checks load about twenty service
 * modules the app never uses, only to learn that no resource is an instance of their classes.
 *
 * While the checks run, every L1 class (`Cfn*`) of a service module that cdk-nag's rules read, and that no resource
 * in the app belongs to, reads as a class nothing is an instance of: the answer the real class gives for an app
 * without such a resource. An L1 object's resource type always names its module's service (`AWS::QuickSight::...`
 * for `aws-quicksight`; a test pins this for every class of every module listed here), so a service with no
 * resource of its type in the construct tree has no instance of its classes in it either. The original lazy exports
 * are put back when the checks end, whether they pass, fail or throw.
 */
import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The aws-cdk-lib service modules cdk-nag 3's rules import (a test compares this list with cdk-nag's rule files).
 * A module missing here is loaded by the checks as before: slower, never wrong.
 */
export const NAG_SERVICE_MODULES: readonly string[] = [
  'aws-apigateway',
  'aws-apigatewayv2',
  'aws-applicationautoscaling',
  'aws-appsync',
  'aws-autoscaling',
  'aws-backup',
  'aws-cloud9',
  'aws-cloudfront',
  'aws-cloudtrail',
  'aws-cloudwatch',
  'aws-codebuild',
  'aws-cognito',
  'aws-dax',
  'aws-dms',
  'aws-docdb',
  'aws-dynamodb',
  'aws-ec2',
  'aws-ecr',
  'aws-ecs',
  'aws-efs',
  'aws-eks',
  'aws-elasticache',
  'aws-elasticbeanstalk',
  'aws-elasticloadbalancing',
  'aws-elasticloadbalancingv2',
  'aws-elasticsearch',
  'aws-emr',
  'aws-events',
  'aws-glue',
  'aws-iam',
  'aws-kinesis',
  'aws-kinesisanalytics',
  'aws-kinesisfirehose',
  'aws-kms',
  'aws-lambda',
  'aws-lex',
  'aws-logs',
  'aws-mediastore',
  'aws-msk',
  'aws-mwaa',
  'aws-neptune',
  'aws-opensearchservice',
  'aws-quicksight',
  'aws-rds',
  'aws-redshift',
  'aws-s3',
  'aws-sagemaker',
  'aws-sam',
  'aws-secretsmanager',
  'aws-sns',
  'aws-sqs',
  'aws-stepfunctions',
  'aws-timestream',
  'aws-wafv2',
];

/**
 * Service modules whose L1 resource types carry another service name than the module's own: `aws-sam` declares
 * `AWS::Serverless::*`. Every other module's types carry its name, lower case and without `aws-` (a test checks
 * every class of every module above).
 */
const TYPE_SERVICES: Readonly<Record<string, readonly string[]>> = {
  'aws-sam': ['serverless'],
};

/** The lower-case service names (`quicksight`) a module's resource types may carry. */
export function moduleServices(module: string): readonly string[] {
  return TYPE_SERVICES[module] ?? [module.replace(/^aws-/, '')];
}

/** The lower-case service part (`quicksight`) of a resource type (`AWS::QuickSight::DataSource`). */
export function typeService(resourceType: string): string | undefined {
  const [vendor, service] = resourceType.split('::');
  return vendor === 'AWS' && service ? service.toLowerCase() : undefined;
}

/** The services of every CloudFormation resource in the tree below `root` (`AWS::...` types only). */
function servicesInTree(root: IConstruct): Set<string> {
  const found = new Set<string>();
  for (const construct of root.node.findAll()) {
    if (CfnResource.isCfnResource(construct)) {
      const service = typeService(construct.cfnResourceType);
      if (service) found.add(service);
    }
  }
  return found;
}

/**
 * Whether any service in the tree may be one of `module`'s: equal names, or one a prefix of the other
 * (`kinesisanalyticsv2` for `aws-kinesisanalytics`), so a near miss keeps the module's real classes.
 */
function declaresAny(present: Set<string>, module: string): boolean {
  return moduleServices(module).some((name) =>
    [...present].some((service) => service.startsWith(name) || name.startsWith(service)),
  );
}

/**
 * Runs `check` with the unread L1 exports of the modules of `modules` that no resource below `root` belongs to
 * replaced by classes nothing is an instance of, and puts the exports back afterwards.
 * @returns what `check` returns
 */
export function withAbsentServicesHidden<T>(root: IConstruct, check: () => T, modules = NAG_SERVICE_MODULES): T {
  const present = servicesInTree(root);
  const restore: (() => void)[] = [];
  try {
    for (const module of modules) {
      if (declaresAny(present, module)) continue;
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the index only: its exports are lazy
      const exported = require(`aws-cdk-lib/${module}`) as Record<string, unknown>;
      for (const name of Object.keys(exported)) {
        const original = Object.getOwnPropertyDescriptor(exported, name);
        // Only exports still unread: a read one is a plain value (its module is loaded anyway).
        if (!name.startsWith('Cfn') || !original?.get || !original.configurable) continue;
        Object.defineProperty(exported, name, {
          configurable: true,
          enumerable: original.enumerable,
          value: absentClass(name),
        });
        restore.push(() => Object.defineProperty(exported, name, original));
      }
    }
    return check();
  } finally {
    for (const put of restore) put();
  }
}

/** A class nothing is an instance of, named like the one it stands in for. */
function absentClass(name: string): new () => object {
  const stand = class {};
  Object.defineProperty(stand, 'name', { value: name });
  return stand;
}

/**
 * cdk-nag's AwsSolutions checks (cdk-nag loads here, not when this module loads), as a plugin for
 * `Validations.of(app).addPlugins(...)`: the same findings as `new AwsSolutionsChecks(app)`, without loading the
 * service modules the app does not use.
 *
 * `Validations.of()` takes plugins at app or stage scope only, so a plugin meant for some stacks of an app scopes
 * itself: given `targets`, it checks the construct trees they return (each stack with its nested stacks) and nothing
 * else of the app, so a user's own stack beside the library's is not failed by the library's checks.
 *
 * @param targets - the constructs to check, read when the checks run; default: the whole app
 */
export function awsSolutionsChecks(scope: IConstruct, targets?: () => Iterable<IConstruct>): IPolicyValidationPlugin {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- cdk-nag and its 300 rule files load only here
  const nag = require('cdk-nag') as typeof import('cdk-nag');
  class AwsSolutionsChecks extends nag.AwsSolutionsChecks {
    public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
      const root = (context as { readonly appConstruct?: IConstruct }).appConstruct ?? scope.node.root;
      return withAbsentServicesHidden(root, () => {
        if (!targets) return this.validateScope(root);
        const merged: PolicyValidationPluginReport['violations'][number][] = [];
        for (const target of targets()) {
          for (const violation of this.validateScope(target).violations) {
            const same = merged.find((v) => v.ruleName === violation.ruleName);
            if (same) same.violatingResources.push(...violation.violatingResources);
            else merged.push({ ...violation, violatingResources: [...violation.violatingResources] });
          }
        }
        return { success: merged.length === 0, violations: merged };
      });
    }
  }
  return new AwsSolutionsChecks(scope);
}
