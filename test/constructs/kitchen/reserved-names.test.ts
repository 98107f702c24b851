/**
 * Kitchen names against the names the project itself uses: every physical name a synthesized environment (its
 * environment, Kitchen host and clone stacks) gives its own resources starts, after the environment's prefix, with a
 * word no Kitchen may start with.
 */
import { Stack } from 'aws-cdk-lib';
import { buildApp } from '../../../lib/app';
import { ENVIRONMENT_NAME_WORDS, kitchenNameProblem, Names } from '../../../lib/naming';
import { exampleConfig } from '../../support/app';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sql = require('../../../lambda/kitchen-resources/sql.js');

const NAME_KEYS = /^(RoleName|StateMachineName|TopicName|LogGroupName|Name|ConfigurationName|BucketName|FunctionName)$/;

function physicalNames(stack: Stack): string[] {
  const template = stack.resolve((stack as unknown as { _toCloudFormation(): unknown })._toCloudFormation()) as {
    Resources: Record<string, { Properties?: Record<string, unknown> }>;
  };
  const names: string[] = [];
  for (const resource of Object.values(template.Resources)) {
    for (const [key, value] of Object.entries(resource.Properties ?? {})) {
      if (NAME_KEYS.test(key) && typeof value === 'string') names.push(value);
    }
  }
  return names;
}

describe('names a Kitchen may not take', () => {
  const config = exampleConfig();
  const built = buildApp(config, { nag: false });
  const dev = config.environments.find((e) => e.name === 'dev')!;
  const stacks = built.app.node.children.filter(
    (c): c is Stack => c instanceof Stack && c.stackName.startsWith('acme-dev'),
  );

  it("should reserve the first word of every name of the development environment's own resources", () => {
    const words = new Set<string>();
    for (const stack of [...stacks, ...built.app.node.children.filter((c): c is Stack => c instanceof Stack)]) {
      words.add(stack.stackName.replace(/^acme-[a-z0-9]+-?/, '').split('-')[0]);
      for (const name of physicalNames(stack)) {
        const rest = /^(?:\/aws\/vendedlogs\/states\/)?\/?acme[-/]dev[-/](.+)$/.exec(name)?.[1];
        if (rest) words.add(rest.split(/[-/]/)[0]);
      }
    }
    words.delete('');
    const pipelineIds = new Set(
      built.environments.dev.releaseEnvironment.pipelines.map((p) => p.definition.id.split('-')[0]),
    );
    const sftpUsers = new Set(dev.sftpUsers.map((u) => u.name.split('-')[0]));
    const apps = new Set(config.apps.map((a) => a.name.split('-')[0]));
    // pipeline ids, partner SFTP users and app names come from the config and pipeline files: see below
    const fixed = [...words].filter((w) => !pipelineIds.has(w) && !sftpUsers.has(w) && !apps.has(w));
    expect(fixed.length).toBeGreaterThan(5);
    expect(
      fixed.filter((w) => !ENVIRONMENT_NAME_WORDS.includes(w) && kitchenNameProblem(`${w}-x`) === undefined),
    ).toStrictEqual([]);
  });

  it.each(['clone', 'object', 'kitchen-reaper', 'clone-unload', 'warehouse', 'object-clone'])('fails on %s', (name) => {
    expect(kitchenNameProblem(name)).toMatch(/^Kitchen name ".+" is reserved/);
  });

  it('should derive the same schema and user in the provider as in Names', () => {
    for (const kitchen of ['profit-report', 'a1b', 'x-y-z-0123456789-abcdef']) {
      const names = new Names({ project: 'acme', environment: 'dev', account: '222222222222', kitchen });
      expect(sql.kitchenIdentity(kitchen)).toStrictEqual({
        kitchen,
        schema: names.schema('analytics'),
        user: names.databaseUser,
      });
    }
  });
});
