/**
 * Confused-deputy protection for every role a service assumes: the trust statement of a role whose service
 * principal sends its source in the request context is conditioned on this stack's account (`aws:SourceAccount`)
 * and on the service's resources in this account and region (`aws:SourceArn`), so that service acting for another
 * account's resource cannot assume it. Applied to the final trust policy at synth time, to roles of aws-cdk-lib's
 * own constructs (the custom resource provider framework's waiter, rule targets) as well as ours.
 */
import { ArnFormat, Aspects, IAspect, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * The services whose role assumptions carry `aws:SourceAccount` and `aws:SourceArn`, and the resources of theirs
 * that may assume a role, by service principal (each documented in the service's confused-deputy guidance).
 */
export const SOURCE_CONDITIONED_SERVICES: Readonly<
  Record<string, { readonly service: string; readonly resource: string; readonly sep: ArnFormat }>
> = {
  'states.amazonaws.com': { service: 'states', resource: 'stateMachine', sep: ArnFormat.COLON_RESOURCE_NAME },
  'events.amazonaws.com': { service: 'events', resource: 'rule', sep: ArnFormat.SLASH_RESOURCE_NAME },
  'ecs-tasks.amazonaws.com': { service: 'ecs', resource: '', sep: ArnFormat.NO_RESOURCE_NAME },
  'transfer.amazonaws.com': { service: 'transfer', resource: '', sep: ArnFormat.NO_RESOURCE_NAME },
  'vpc-flow-logs.amazonaws.com': { service: 'ec2', resource: 'vpc-flow-log', sep: ArnFormat.SLASH_RESOURCE_NAME },
};

/**
 * Service principals left unconditioned, with the reason: their role assumptions carry no source to test, so a
 * condition would only stop the service from assuming the role.
 */
export const UNCONDITIONED_SERVICES: Readonly<Record<string, string>> = {
  'lambda.amazonaws.com': 'Lambda assumes a function execution role with no aws:SourceArn/aws:SourceAccount',
  'chatbot.amazonaws.com': 'AWS Chatbot documents no source condition keys for its channel role',
  'redshift.amazonaws.com': 'Redshift documents no source condition keys for a cluster role',
};

type Json = Record<string, unknown>;

function sourceConditions(stack: Stack, principal: string): Json | undefined {
  const known = SOURCE_CONDITIONED_SERVICES[principal];
  if (!known) return undefined;
  const arn =
    known.sep === ArnFormat.NO_RESOURCE_NAME
      ? `arn:${stack.partition}:${known.service}:${stack.region}:${stack.account}:*`
      : stack.formatArn({ service: known.service, resource: known.resource, resourceName: '*', arnFormat: known.sep });
  return { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': arn } };
}

/** The trust policy with every statement of a source-conditioned service principal conditioned on this account. */
export function conditionTrustPolicy(stack: Stack, document: Json): Json {
  const statements = (document.Statement as Json[] | undefined) ?? [];
  const result: Json[] = [];
  for (const statement of statements) {
    const services = [(statement.Principal as Json | undefined)?.Service ?? []].flat() as unknown[];
    const principal = statement.Principal as Json | undefined;
    const onlyServices = principal !== undefined && Object.keys(principal).every((k) => k === 'Service');
    if (statement.Effect !== 'Allow' || services.length === 0 || !onlyServices) {
      result.push(statement);
      continue;
    }
    // One statement per service, each with its own source conditions (a shared one could not say both).
    for (const service of services) {
      const own = typeof service === 'string' ? sourceConditions(stack, service) : undefined;
      const existing = (statement.Condition as Record<string, Json> | undefined) ?? {};
      const condition: Record<string, Json> = { ...existing };
      for (const [operator, values] of Object.entries((own ?? {}) as Record<string, Json>)) {
        const keys = Object.keys(values);
        const already = Object.values(existing).some((v) => keys.some((k) => k in v));
        if (!already) condition[operator] = { ...(existing[operator] ?? {}), ...values };
      }
      result.push({
        ...statement,
        Principal: { Service: service },
        ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
      });
    }
  }
  return { ...document, Statement: result };
}

/** The aspect: every role's trust policy, as synthesized, goes through `conditionTrustPolicy`. */
export class ServiceTrustConditions implements IAspect {
  private readonly done = new WeakSet<iam.CfnRole>();

  public visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnRole) || this.done.has(node)) return;
    this.done.add(node);
    const original: unknown = node.assumeRolePolicyDocument;
    if (original === undefined) return;
    const stack = Stack.of(node);
    node.assumeRolePolicyDocument = Lazy.any({
      produce: () => conditionTrustPolicy(stack, stack.resolve(original) as Json),
    });
  }
}

/** Conditions every service role of `scope` on its source (see {@link ServiceTrustConditions}). */
export function conditionServiceTrust(scope: IConstruct): void {
  Aspects.of(scope).add(new ServiceTrustConditions());
}
