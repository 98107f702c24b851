import * as api from '../index';

describe('the entry module (what `import ... from "cdk-kitchens"` gives)', () => {
  it('should export the constructs, the config loader, the pipeline builder, buildApp and the feature flags', () => {
    const expected = [
      'Vault',
      'DataLake',
      'Alerts',
      'SftpIngest',
      'Warehouse',
      'ContainerTasks',
      'ReleaseEnvironment',
      'EnvironmentStack',
      'Kitchen',
      'KitchenStack',
      'Pipeline',
      'PipelineSchedule',
      'loadConfig',
      'ConfigError',
      'PipelineBuilder',
      'loadPipelineFile',
      'buildApp',
      'loadPipelines',
      'FEATURE_FLAGS',
      'Names',
      'acknowledge',
      'nagPartition',
      'NODE_RUNTIME_CONTEXT',
      'nodeRuntime',
      'awsSolutionsChecks',
    ];
    expect(expected.filter((name) => !(name in api))).toStrictEqual([]);
  });

  it('should not export the CLI', () => {
    expect(Object.keys(api).filter((name) => /program|command/i.test(name))).toStrictEqual([]);
  });
});
