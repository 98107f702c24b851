/**
 * The hash key never leaves production's key store and warehouse. The setup state machine runs locally: its key
 * function (lambda/clone-key, the real handler) draws the key with Secrets Manager's random generator on moto and
 * writes it to the key-drop bucket on moto; the key step's COPY loads that file into PostgreSQL (the stand-in of
 * Redshift's COPY, server-side); the file is then deleted. The whole local execution history, every statement's
 * text and parameters, every task's input and output, and everything the handlers log hold neither key.
 */
import '../../../lib/local/runner'; // installs the Promise.withResolvers polyfill aws-local-stepfunctions needs on Node 20
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetRandomPasswordCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Client } from 'pg';
import { CloneJob } from '../../../constructs/clone/clone-job';
import { parseClonePlan, planDeclared } from '../../../lib/clone/planner';
import { cloneTransfer } from '../../../lib/clone/transfer';
import { resolveDefinition } from '../../../lib/local/definition';
import { freshDatabase } from '../../lib/clone/fixtures';
import { motoS3 } from '../../lib/clone/s3';
import { exampleConfig } from '../../support/app';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { handlers } = require('../../../lambda/clone-key/index.js');

/* eslint-disable @typescript-eslint/no-explicit-any -- Step Functions states and events are untyped JSON */

const moto = {
  endpoint: process.env.KITCHENS_TEST_MOTO_ENDPOINT,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
};

describe('the hash key is drawn outside Step Functions and loaded by COPY', () => {
  const config = exampleConfig();
  const production = config.environments.find((e) => e.name === 'production')!;
  const dev = config.environments.find((e) => e.name === 'dev')!;
  const plan = parseClonePlan({
    schema: 'analytics',
    tables: [{ name: 'customers', mask: { customer_id: 'keep', email: 'hash' } }],
  });
  const transfer = cloneTransfer('acme', production, dev, {
    plan,
    location: { file: 'kitchens.config.yaml', at: 'environments.dev.clone' },
  });
  const stack = new Stack(new App(), 'Job', { env: { account: production.account, region: production.region } });
  const job = new CloneJob(stack, 'Job', {
    transfer,
    tables: planDeclared(plan),
    sourceSchema: 'analytics',
    schedule: 'cron(0 3 * * ? *)',
    planAt: 'kitchens.config.yaml: environments.dev.clone',
  });
  const bucket = `acme-production-key-drop-${Date.now()}`;
  // moto's S3 records SSE-KMS with the key id it is given (no KMS call here).
  const kmsKeyId = 'arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000000';

  beforeAll(async () => {
    await motoS3().send(
      new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
    );
  });

  const keyFunction = () =>
    handlers(
      { secrets: new SecretsManagerClient(moto), s3: motoS3() },
      { GetRandomPasswordCommand, PutObjectCommand },
      { KEY_BUCKET: bucket, KEY_ID: kmsKeyId },
    );

  it('should write two random 64-character keys to the key-drop bucket and return only where they are', async () => {
    const result = await keyFunction().handler({ key: 'hash-key/unit.csv' });
    expect(result).toStrictEqual({ bucket, key: 'hash-key/unit.csv' });
    const body = await (
      await motoS3().send(new GetObjectCommand({ Bucket: bucket, Key: 'hash-key/unit.csv' }))
    ).Body!.transformToString();
    const [inner, outer] = body.trim().split(',');
    expect(inner).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(outer).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(inner).not.toBe(outer);
    await motoS3().send(new DeleteObjectCommand({ Bucket: bucket, Key: 'hash-key/unit.csv' }));
    await expect(keyFunction().handler({ key: '../other' })).rejects.toThrow(
      'event.key must be hash-key/NAME.csv (NAME: 1 to 80 letters, digits, "-" or "_"), got: "../other"',
    );
  });

  it('should load the key into the warehouse with no key in the history, a statement, a parameter or a log', async () => {
    const url = await freshDatabase('clone_hash_key_test');
    const pg = new Client({ connectionString: url });
    await pg.connect();
    const { StateMachine } = await import('aws-local-stepfunctions');
    const machine = new StateMachine(
      resolveDefinition(job.setupStateMachine) as never,
      {
        validationOptions: { noValidate: true },
      } as never,
    );
    const seen: unknown[] = [];
    const logged: string[] = [];
    const spies = (['log', 'info', 'warn', 'error'] as const).map((level) =>
      jest
        .spyOn(console, level)
        .mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' '))),
    );
    let copied: string | undefined;
    /** The Data API stand-in: a batch runs as one PostgreSQL transaction; Redshift's COPY FROM S3 reads the object. */
    const runBatch = async (input: any) => {
      seen.push(input);
      await pg.query('BEGIN');
      for (const sql of input.Sqls as string[]) {
        const copy = /^COPY (\w+) FROM 's3:\/\/([^/]+)\/([^']+)' IAM_ROLE '[^']+' FORMAT AS CSV$/.exec(sql);
        if (copy) {
          const object = await motoS3().send(new GetObjectCommand({ Bucket: copy[2], Key: copy[3] }));
          const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-keyfile-')), 'key.csv');
          fs.writeFileSync(file, await object.Body!.transformToString(), { mode: 0o644 });
          fs.chmodSync(path.dirname(file), 0o755);
          copied = file;
          await pg.query(`COPY ${copy[1]} FROM '${file}' WITH (FORMAT csv)`);
        } else {
          await pg.query(sql);
        }
      }
      await pg.query('COMMIT');
      return { Id: 'batch' };
    };
    const skip = async (input: any) => {
      seen.push(input); // Redshift-only administration (CREATE USER ... PASSWORD DISABLE, ASSUMEROLE grants)
      return { Id: 'skipped' };
    };
    const status = async (input: any) => ({ Id: input.Id, Status: 'FINISHED' });
    const steps = ['Setup: schema and key table', 'Setup: key (once)', 'Setup: cloner user and grants'];
    const events: unknown[] = [];
    try {
      const execution = machine.run({ setup: 'fingerprint' }, {
        context: { Execution: { Name: 'setup-fingerprint-request-1' } },
        overrides: {
          waitTimeOverrides: Object.fromEntries(steps.map((w) => [`${w}: wait`, 0])),
          taskResourceLocalHandlers: {
            'Setup: schema and key table': runBatch,
            'Setup: key (once)': runBatch,
            'Setup: cloner user and grants': skip,
            ...Object.fromEntries(steps.map((s) => [`${s}: status`, status])),
            'Setup: draw the key': async (input: any) => {
              seen.push(input);
              const out = await keyFunction().handler(input);
              seen.push(out);
              return out;
            },
            'Setup: delete the key file': async (input: any) => {
              seen.push(input);
              return motoS3()
                .send(new DeleteObjectCommand({ Bucket: bucket, Key: input.Key }))
                .then(() => ({}));
            },
          },
        },
      } as never);
      const collecting = (async () => {
        for await (const event of execution.eventLogs) events.push(event);
      })();
      const output = await execution.result;
      await collecting;
      events.push(output);
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
    let rows: any[];
    try {
      rows = (await pg.query('SELECT inner_key, outer_key FROM kitchens_clone.hash_key')).rows;
    } finally {
      await pg.end();
    }
    // THEN the warehouse holds one key of two 64-character values, loaded from the file the function wrote
    expect(rows).toHaveLength(1);
    const { inner_key: inner, outer_key: outer } = rows[0];
    expect([inner, outer].every((k: string) => /^[A-Za-z0-9]{64}$/.test(k))).toBe(true);
    expect(copied).toBeDefined();
    // the key file is gone from the bucket
    await expect(
      motoS3().send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: `hash-key/${(seen.find((s: any) => s?.key) as any).key.split('/')[1]}`,
        }),
      ),
    ).rejects.toThrow();
    // and neither value appears in the history, a statement text or parameter, a task's input or output, or a log
    const everything = JSON.stringify({ events, seen, logged });
    expect(events.length).toBeGreaterThan(20);
    expect(everything).toContain('COPY kitchens_key_load FROM');
    for (const value of [inner, outer]) expect(everything).not.toContain(value);
    expect(everything).not.toMatch(/"Parameters"\s*:/);
  });

  it('should let only the warehouse role read key files and decrypt them, and only the key function write them', () => {
    const template = Template.fromStack(stack);
    const json = template.toJSON() as any;
    const policies = Object.values<any>(json.Resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
    const keyDrop = policies.find((p) => JSON.stringify(p).includes('WarehouseReadsKeyFiles'))!;
    const statements = keyDrop.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow');
    expect(statements.map((s: any) => [s.Sid, s.Principal, s.Action])).toStrictEqual([
      ['WarehouseReadsKeyFiles', { AWS: 'arn:aws:iam::111111111111:role/acme-production-warehouse' }, 's3:GetObject'],
    ]);
    const writers = Object.values<any>(json.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .filter(
        (p) =>
          JSON.stringify(p.Properties.PolicyDocument).includes('s3:PutObject') &&
          JSON.stringify(p.Properties.PolicyDocument).includes('JobKeyDropBucket'),
      );
    expect(writers.map((p) => p.Properties.Roles)).toStrictEqual([[{ Ref: expect.stringMatching(/^JobKeyDropRole/) }]]);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }],
      },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 1, Status: 'Enabled', Id: 'ExpireKeyFiles' }] },
    });
  });
});
