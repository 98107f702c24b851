import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ObjectClone } from '../../../constructs/clone/object-clone';
import { Names } from '../../../lib/naming';

const names = new Names({ project: 'acme', environment: 'dev', account: '222222222222' });

function build(extra: Partial<ConstructorParameters<typeof ObjectClone>[2]> = {}) {
  const stack = new Stack(new App(), 'Clone', { env: { account: '222222222222', region: 'eu-west-1' } });
  const source = s3.Bucket.fromBucketName(stack, 'Source', 'acme-production-landing-111111111111');
  const target = new s3.Bucket(stack, 'Target');
  const manifests = new s3.Bucket(stack, 'Manifests');
  const clone = new ObjectClone(stack, 'ObjectClone', {
    names,
    sourceBucket: source,
    targetBucket: target,
    manifestBucket: manifests,
    sourcePrefix: 'orders/',
    ...extra,
  });
  return { stack, template: Template.fromStack(stack), clone };
}

describe('ObjectClone', () => {
  describe('with defaults', () => {
    const { template } = build();
    const definition = () => {
      const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0];
      const parts = sm.Properties.DefinitionString['Fn::Join'][1] as unknown[];
      // Tokens (bucket names of this stack) sit inside JSON strings: stand them in with a placeholder.
      return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
    };

    it('should name the state machine from the environment', () => {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'acme-dev-object-clone',
        TracingConfiguration: { Enabled: true },
      });
    });

    it('should run a distributed map of CopyObject calls over a manifest, retrying throttles', () => {
      const def = definition();
      const map = def.States['Copy sampled objects'];
      expect(map.Type).toBe('Map');
      expect(map.MaxConcurrency).toBe(200);
      // Left out means 0 in ASL: a single failed copy fails the run.
      expect(map.ToleratedFailurePercentage).toBeUndefined();
      expect(map.ItemReader.Parameters.Bucket).toBe('TOKEN');
      expect(map.ItemReader.Resource).toBe('arn:TOKEN:states:::s3:getObject');
      expect(map.ItemReader.ReaderConfig).toStrictEqual({ InputType: 'JSON' });
      expect(map.ItemReader.Parameters['Key.$']).toBe('$.manifestKey');
      expect(map.ItemProcessor.ProcessorConfig).toStrictEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
      const copy = map.ItemProcessor.States['Copy object'];
      expect(copy.Resource).toBe('arn:TOKEN:states:::aws-sdk:s3:copyObject');
      expect(copy.QueryLanguage).toBe('JSONata');
      expect(copy.Arguments.Key).toBe('{% $states.input.target %}');
      expect(copy.Arguments.CopySource).toBe(
        "{% 'acme-production-landing-111111111111/' & $join($map($split($states.input.source, '/'), " +
          "function($segment) { $encodeUrlComponent($segment) }), '/') %}",
      );
      expect(copy.Output).toStrictEqual({ etag: '{% $states.result.CopyObjectResult.ETag %}' });
      expect(copy.Retry[0]).toMatchObject({
        ErrorEquals: ['S3.SlowDownException', 'S3.S3Exception', 'S3.SdkClientException', 'States.Timeout'],
        MaxAttempts: 8,
        JitterStrategy: 'FULL',
      });
    });

    it('should grant only reads of the source prefix and the manifests and writes of the Kitchen prefix', () => {
      const policies = template.findResources('AWS::IAM::Policy');
      const statements = Object.values(policies).flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
      const text = JSON.stringify(statements);
      expect(text).toContain('acme-production-landing-111111111111/orders/*');
      expect(text).toContain('/kitchens/*');
      expect(text).toContain('/clone-manifests/*');
      const writes = statements.filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('s3:Put') || a.startsWith('s3:Delete')),
      );
      expect(writes.length).toBeGreaterThan(0);
      for (const s of writes) {
        expect(JSON.stringify(s.Resource)).toContain('/kitchens/*');
        expect(JSON.stringify(s.Resource)).not.toContain('acme-production-landing');
      }
      expect(text).not.toContain('"s3:*"');
      expect(text).not.toMatch(/s3:Delete/);
    });
  });

  it('should honour a custom Kitchen prefix, concurrency and failure tolerance', () => {
    const { template } = build({
      targetPrefix: 'kitchens/profit-report/',
      maxConcurrency: 50,
      toleratedFailurePercentage: 5,
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain('/kitchens/profit-report/*');
    const sm = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(sm).toContain('\\"MaxConcurrency\\":50');
    expect(sm).toContain('\\"ToleratedFailurePercentage\\":5');
  });

  it('fails when source and target are one bucket and the Kitchen prefix is empty', () => {
    const stack = new Stack();
    const bucket = new s3.Bucket(stack, 'Lake');
    expect(
      () =>
        new ObjectClone(stack, 'C', {
          names,
          sourceBucket: bucket,
          targetBucket: bucket,
          manifestBucket: bucket,
          targetPrefix: '',
        }),
    ).toThrow('ObjectClone: targetPrefix must not be empty when the source and target bucket are the same');
  });
});
