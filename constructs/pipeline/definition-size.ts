/**
 * The size check of a compiled definition without resolving it through CloudFormation: the definition object is
 * kept when the state machine binds it, and measured as JSON with every token (an ARN or name CloudFormation fills
 * at deploy time) counted as 100 bytes. Resolving a 1 MB definition with tokens took longer than building it.
 */
import { Stack } from 'aws-cdk-lib';
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
