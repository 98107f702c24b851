/**
 * Policy analysis over a synthesized Kitchen: every Allow statement of every IAM policy in its template (roles'
 * inline policies and AWS::IAM::Policy resources), checked for what a Kitchen principal must never be able to do.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../../lib/app';
import { exampleConfig, foldedTemplate } from '../../support/app';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Does an IAM action pattern (with * and ?) cover the action? */
const covers = (pattern: string, action: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  ).test(action);

function statementsByPolicy(template: Template): { policy: string; statement: Statement }[] {
  const found: { policy: string; statement: Statement }[] = [];
  for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
    for (const s of policy.Properties.PolicyDocument.Statement) found.push({ policy: id, statement: s });
  }
  for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
    for (const p of role.Properties.Policies ?? [])
      for (const s of p.PolicyDocument.Statement) found.push({ policy: id, statement: s });
  }
  return found.filter((f) => f.statement.Effect === 'Allow');
}

function denyStatementsByPolicy(template: Template): { policy: string; statement: Statement }[] {
  return Object.entries(template.findResources('AWS::IAM::Policy')).flatMap(([id, policy]) =>
    (policy.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => s.Effect === 'Deny')
      .map((statement) => ({ policy: id, statement })),
  );
}

describe('policy analysis of a synthesized Kitchen', () => {
  const built = buildApp(exampleConfig(), {
    nag: false,
    context: {
      kitchen: 'profit-report',
      kitchenStaff: 'arn:aws:iam::222222222222:role/analyst-jane',
      kitchenSshKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFm0QfXr3bJ0rXw9yLQy1l5h3bKc0mQvG2x0E8bA9Zc1 dev@laptop',
    },
  });
  const template = foldedTemplate(built.kitchens['profit-report']);
  const json = template.toJSON();
  const statements = statementsByPolicy(template);

  it('should find the policies of every Kitchen principal', () => {
    const roles = Object.keys(template.findResources('AWS::IAM::Role'));
    // staff, SFTP user, each app's task and execution role, each pipeline's state machine role, ...
    expect(roles.length).toBeGreaterThanOrEqual(6);
    expect(statements.length).toBeGreaterThan(20);
  });

  it('should let no Kitchen principal list keys outside its prefix', () => {
    const listing = statements.filter(({ statement }) =>
      list(statement.Action).some((a) => ['s3:ListBucket', 's3:ListBucketVersions'].some((l) => covers(a, l))),
    );
    expect(listing.length).toBeGreaterThan(0);
    const unscoped = listing.filter(({ statement }) => {
      const prefixes = list(
        statement.Condition?.StringLike?.['s3:prefix'] ?? statement.Condition?.StringEquals?.['s3:prefix'] ?? [],
      );
      return prefixes.length === 0 || prefixes.some((p: string) => !p.startsWith('kitchens/profit-report/'));
    });
    // A copy step's List task allows s3:ListBucket on its source bucket; the same policy denies listing anywhere
    // but the Kitchen's copy of the step's source prefix. Every other Kitchen principal is scoped by its Allow.
    const denies = denyStatementsByPolicy(template);
    const uncountered = unscoped.filter(({ policy, statement }) =>
      list(statement.Resource).some((resource) => {
        const deny = denies.find(
          (d) =>
            d.policy === policy &&
            JSON.stringify(list(d.statement.Resource)) === JSON.stringify([resource]) &&
            ['s3:ListBucket', 's3:ListBucketVersions'].every((l) => list(d.statement.Action).some((a) => covers(a, l))),
        );
        const allowedPrefixes: string[] = list(deny?.statement.Condition?.StringNotLike?.['s3:prefix'] ?? []);
        return allowedPrefixes.length === 0 || !allowedPrefixes.every((p) => p.startsWith('kitchens/profit-report/'));
      }),
    );
    expect(uncountered).toStrictEqual([]);
    // the copy step of the orders pipeline is what needed it
    expect(unscoped.map(({ policy }) => policy)).toStrictEqual([expect.stringMatching(/^KitchenPipelineOrdersRole/)]);
  });

  it('should let no Kitchen principal read any secret but its own', () => {
    const secretReads = statements.filter(({ statement }) =>
      list(statement.Action).some((a) => covers(a, 'secretsmanager:GetSecretValue')),
    );
    expect(secretReads.length).toBeGreaterThan(0);
    const own = { Ref: expect.stringMatching(/^KitchenWarehouseCredentials/) };
    for (const { policy, statement } of secretReads) {
      for (const resource of list(statement.Resource)) {
        const text = JSON.stringify(resource);
        // its own warehouse secret, or the development app secrets its containers are configured with
        const isAppSecret = /secret:acme\/dev\/apps\/[a-z0-9-]+-\?\?\?\?\?\?/.test(text);
        if (!isAppSecret) expect({ policy, resource }).toStrictEqual({ policy, resource: own });
      }
    }
  });

  it('should let the staff role read the results of its own Data API statements, and only those', () => {
    const staffPolicy = Object.keys(template.findResources('AWS::IAM::Policy')).find((id) =>
      id.startsWith('KitchenStaffRoleDefaultPolicy'),
    )!;
    const results = statements.filter(
      ({ policy, statement }) =>
        policy === staffPolicy && list(statement.Action).some((a) => covers(a, 'redshift-data:GetStatementResult')),
    );
    expect(results).toHaveLength(1);
    expect(results[0].statement).toMatchObject({
      Action: ['redshift-data:CancelStatement', 'redshift-data:DescribeStatement', 'redshift-data:GetStatementResult'],
      Resource: '*',
      Condition: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
    });
  });

  it('should not even know the admin or pipeline secrets', () => {
    const parameters = Object.values(json.Parameters as Record<string, { Default: string }>).map((p) => p.Default);
    expect(parameters).toContain('/acme/dev/warehouse/cluster-identifier');
    expect(parameters.filter((p) => /secret/.test(p))).toStrictEqual([]);
    const text = JSON.stringify(json.Resources);
    expect(text.match(/admin-secret|adminsecret|pipeline-secret|kitchens-provisioner/gi)).toBeNull();
  });
});
