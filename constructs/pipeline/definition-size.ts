/**
 * The size check of a compiled definition without resolving it through CloudFormation: the definition object is
 * kept when the state machine binds it, and measured as JSON with every token (an ARN or name CloudFormation fills
 * at deploy time) counted as 100 bytes. Resolving a 1 MB definition with tokens took longer than building it.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { FileAssetPackaging, Stack, Stage } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

/** Bytes a reference CloudFormation fills at deploy time is counted as. */
export const REFERENCE_BYTES = 100;

// A string-encoded token as aws-cdk-lib writes it into strings: `${Token[NAME.123]}`.
const TOKEN = /\$\{Token\[[^\]]+\]\}/g;

/** The definition of a chain, as `DefinitionBody.fromChainable` renders it, remembering its size. */
export class MeasuredDefinitionBody extends sfn.ChainDefinitionBody {
  private size?: number;

  public bind(
    scope: Construct,
    _principal: iam.IPrincipal,
    props: sfn.StateMachineProps,
    graph: sfn.StateGraph,
  ): sfn.DefinitionConfig {
    const definition = {
      ...graph.toGraphJson(props.queryLanguage),
      Comment: props.comment,
      QueryLanguage: props.queryLanguage,
    };
    this.size = measureDefinition(definition, Stack.of(scope));
    return this.render(scope, definition);
  }

  /** The definition as the state machine declares it: inline JSON text. */
  protected render(scope: Construct, definition: Record<string, unknown>): sfn.DefinitionConfig {
    return { definitionString: Stack.of(scope).toJsonString(definition) };
  }

  /** Size of the deployed definition, as `definitionBytes` computes it from the resolved template. */
  public get bytes(): number {
    if (this.size === undefined) throw new Error('MeasuredDefinitionBody: not bound to a state machine yet');
    return this.size;
  }
}

/**
 * Bytes of a definition object whose strings may hold tokens, as `definitionBytes` counts the resolved template:
 * the JSON text, each token that resolves to text counted as that text, every other reference as REFERENCE_BYTES.
 */
export function measureDefinition(definition: unknown, stack: Stack): number {
  const text = JSON.stringify(definition);
  if (text.includes('#{Token[')) {
    throw new Error('measureDefinition: the definition holds a list token, which it cannot measure');
  }
  let bytes = Buffer.byteLength(text);
  // The same few references (runner ARNs, the partition, the topic) recur in every state: resolve each once.
  const deltas = new Map<string, number>();
  for (const [token] of text.matchAll(TOKEN)) {
    let delta = deltas.get(token);
    if (delta === undefined) {
      const resolved: unknown = stack.resolve(token);
      if (typeof resolved === 'string') {
        delta = Buffer.byteLength(JSON.stringify(resolved)) - 2 - token.length;
      } else if (resolved === null || typeof resolved !== 'object') {
        // A whole-string token for a JSON value (JsonPath.DISCARD is null): the value replaces the quoted string.
        delta = Buffer.byteLength(JSON.stringify(resolved)) - token.length - 2;
      } else {
        delta = REFERENCE_BYTES - token.length;
      }
      deltas.set(token, delta);
    }
    bytes += delta;
  }
  return bytes;
}

/** Definition strings of machines whose definition is stored as an asset, by machine (for the local engine). */
const ASSET_DEFINITIONS = new WeakMap<Construct, string>();

/**
 * The definition of a chain stored as a file asset (`DefinitionS3Location`) instead of inline text, so a pipeline's
 * definition costs its template a few hundred bytes whatever its size (issue 22). The file holds the JSON text
 * `DefinitionBody.fromChainable` would inline, each reference CloudFormation fills (an ARN, a name) replaced by a
 * `${Name}` placeholder that `substitutions` maps back to the reference (`DefinitionSubstitutions`); references that
 * resolve to literal text at synth are written as that text. Being a `ChainDefinitionBody`, the state machine still
 * adds every task's policy statements to its role, as `fromChainable` does.
 *
 * The state machine's role is not granted read on the file: CloudFormation reads `DefinitionS3Location` with the
 * deploying identity's credentials when it creates or updates the machine (as aws-cdk-lib's `DefinitionBody.fromFile`
 * relies on); the running machine never reads it.
 */
export class AssetDefinitionBody extends MeasuredDefinitionBody {
  private subs?: Record<string, string>;

  protected render(scope: Construct, definition: Record<string, unknown>): sfn.DefinitionConfig {
    const stack = Stack.of(scope);
    const { text, substitutions } = renderWithPlaceholders(definition, stack, scope.node.path);
    ASSET_DEFINITIONS.set(scope, stack.toJsonString(definition));
    this.subs = substitutions;
    const hash = createHash('sha256').update(text).digest('hex');
    const fileName = `asset.${hash}.json`;
    const outdir = Stage.of(scope)?.outdir;
    if (outdir === undefined)
      throw new Error(`${scope.node.path}: a state machine definition asset needs an App or Stage`);
    fs.writeFileSync(path.join(outdir, fileName), text);
    const location = stack.synthesizer.addFileAsset({
      sourceHash: hash,
      fileName,
      packaging: FileAssetPackaging.FILE,
    });
    return { definitionS3Location: { bucket: location.bucketName, key: location.objectKey } };
  }

  /** `DefinitionSubstitutions` the state machine must declare: placeholder name -> reference. */
  public get substitutions(): Record<string, string> {
    if (this.subs === undefined) throw new Error('AssetDefinitionBody: not bound to a state machine yet');
    return this.subs;
  }
}

/**
 * The definition of a state machine as `DefinitionBody.fromChainable` renders it (a JSON string that may hold
 * tokens), whether it is inline or stored as an asset by {@link AssetDefinitionBody}.
 */
export function definitionStringOf(stateMachine: sfn.StateMachine): string {
  const stored = ASSET_DEFINITIONS.get(stateMachine);
  if (stored !== undefined) return stored;
  const cfn = stateMachine.node.defaultChild as sfn.CfnStateMachine;
  if (cfn.definitionString === undefined) {
    throw new Error(`${stateMachine.node.path}: the state machine has neither an inline nor an asset definition`);
  }
  return cfn.definitionString;
}

// A placeholder of DefinitionSubstitutions as Step Functions reads it.
const PLACEHOLDER = /\$\{[^}]*\}/;

/**
 * JSON text of a definition whose strings may hold tokens, each token that is a CloudFormation reference replaced by
 * a `${Name}` placeholder (the same name for the same reference), each token that resolves to a literal by that
 * literal. Refuses a definition whose own text holds `${...}`: Step Functions would read it as a placeholder.
 */
export function renderWithPlaceholders(
  definition: unknown,
  stack: Stack,
  where: string,
): { text: string; substitutions: Record<string, string> } {
  const raw = JSON.stringify(definition);
  if (raw.includes('#{Token[')) {
    throw new Error(`${where}: the definition holds a list token, which cannot be stored as an asset`);
  }
  const literal = raw.replace(TOKEN, '');
  const clash = PLACEHOLDER.exec(literal);
  if (clash) {
    throw new Error(
      `${where}: the state machine definition contains ${JSON.stringify(clash[0])}, which Step Functions would read as ` +
        'a DefinitionSubstitutions placeholder of the stored definition; change the SQL or name so that no "$" is ' +
        'directly followed by "{"',
    );
  }
  const substitutions: Record<string, string> = {};
  const names = new Map<string, string>();
  const replacement = new Map<string, { quoted: boolean; text: string }>();
  for (const [token] of raw.matchAll(TOKEN)) {
    if (replacement.has(token)) continue;
    const resolved: unknown = stack.resolve(token);
    if (typeof resolved === 'string') {
      replacement.set(token, { quoted: false, text: JSON.stringify(resolved).slice(1, -1) });
    } else if (resolved === null || typeof resolved !== 'object') {
      // A whole-string token for a JSON value (JsonPath.DISCARD is null): the value replaces the quoted string.
      replacement.set(token, { quoted: true, text: JSON.stringify(resolved) });
    } else {
      const key = JSON.stringify(resolved);
      let name = names.get(key);
      if (name === undefined) {
        name = placeholderName(resolved as Record<string, unknown>, key, new Set(names.values()));
        names.set(key, name);
        substitutions[name] = token;
      }
      replacement.set(token, { quoted: false, text: `\${${name}}` });
    }
  }
  let text = raw;
  for (const [token, { quoted, text: value }] of replacement) {
    if (quoted) text = text.split(`"${token}"`).join(value);
    text = text.split(token).join(value);
  }
  return { text, substitutions };
}

/** A readable, stable placeholder name for a reference: `BucketXYZ`, `TopicArn`, `AWSPartition`, or a hash. */
function placeholderName(resolved: Record<string, unknown>, key: string, taken: ReadonlySet<string>): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
  let base: string;
  if (typeof resolved.Ref === 'string') base = clean(resolved.Ref);
  else if (Array.isArray(resolved['Fn::GetAtt'])) base = clean((resolved['Fn::GetAtt'] as string[]).join(''));
  else base = `Value${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
  return name;
}
