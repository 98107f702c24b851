/**
 * Step Functions state machines in a template: their `DefinitionString` is usually an `Fn::Join` of JSON text and
 * CloudFormation tokens. Here it is joined back into one ASL document (tokens become `${...}` text inside the JSON
 * strings) so two pipelines can be compared state by state, and drawn as a Mermaid graph.
 */
import { isRecord } from './diff';

export const STATE_MACHINE_TYPE = 'AWS::StepFunctions::StateMachine';

export interface AslDefinition {
  readonly StartAt?: string;
  readonly States?: Record<string, AslState>;
  readonly [key: string]: unknown;
}
export type AslState = Record<string, unknown> & { readonly Type?: string };

/** Renders a token (Ref, Fn::GetAtt, ...) as text that is safe inside a JSON string. */
function renderToken(token: unknown): string {
  if (isRecord(token)) {
    if (typeof token.Ref === 'string') return `\${${token.Ref}}`;
    const getAtt = token['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `\${${getAtt.join('.')}}`;
  }
  // braces become parentheses so a rendered token never contains `}` (it ends at the first one)
  return `\${${JSON.stringify(token).replace(/["\\]/g, "'").replace(/\{/g, '(').replace(/\}/g, ')')}}`;
}

/** The definition as one string, or undefined when it is not a string or a plain `Fn::Join`. */
export function joinDefinition(definition: unknown): string | undefined {
  if (typeof definition === 'string') return definition;
  if (!isRecord(definition) || !Array.isArray(definition['Fn::Join'])) return undefined;
  const [separator, parts] = definition['Fn::Join'] as [unknown, unknown];
  if (typeof separator !== 'string' || !Array.isArray(parts)) return undefined;
  return parts.map((part) => (typeof part === 'string' ? part : renderToken(part))).join(separator);
}

/** Parses a state machine's definition; undefined when it cannot be read as ASL JSON. */
export function parseDefinition(definition: unknown): AslDefinition | undefined {
  if (isRecord(definition) && isRecord(definition.States)) return definition as AslDefinition;
  const text = joinDefinition(definition);
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) && isRecord(parsed.States) ? (parsed as AslDefinition) : undefined;
  } catch {
    return undefined;
  }
}

/** The definition from a state machine resource's properties (`DefinitionString` or `Definition`). */
export function stateMachineDefinition(properties: Record<string, unknown> | undefined): AslDefinition | undefined {
  return parseDefinition(properties?.DefinitionString ?? properties?.Definition);
}

/**
 * Every state of the machine by name, nested ones included (Parallel branches, Map processors). Nested state maps
 * are replaced by the names of their start states, so a changed branch shows as a changed state of its own.
 */
export function flattenStates(definition: AslDefinition): Map<string, AslState> {
  const out = new Map<string, AslState>();
  const visit = (states: Record<string, AslState>) => {
    for (const [name, state] of Object.entries(states)) {
      const flat: AslState = { ...state };
      if (Array.isArray(state.Branches)) {
        flat.Branches = (state.Branches as AslDefinition[]).map((branch) => {
          visit(branch.States ?? {});
          return { StartAt: branch.StartAt };
        });
      }
      for (const key of ['ItemProcessor', 'Iterator'] as const) {
        const processor = state[key];
        if (isRecord(processor) && isRecord(processor.States)) {
          visit(processor.States as Record<string, AslState>);
          flat[key] = { ...processor, States: undefined };
        }
      }
      out.set(name, flat);
    }
  };
  visit(definition.States ?? {});
  return out;
}

/** A state that runs a test (the pipeline compiler names them `Test: <name>`). */
export function isTestState(name: string): boolean {
  return /^Test:\s/.test(name);
}

export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
}

/** Transitions of a state machine, nested ones included; `Start` and `End` are pseudo-states. */
export function stateEdges(definition: AslDefinition, start = true): Edge[] {
  const edges: Edge[] = [];
  if (start && definition.StartAt) edges.push({ from: START, to: definition.StartAt });
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    if (typeof state.Next === 'string') edges.push({ from: name, to: state.Next });
    if (state.End === true || state.Type === 'Succeed' || state.Type === 'Fail') edges.push({ from: name, to: END });
    if (typeof state.Default === 'string') edges.push({ from: name, to: state.Default, label: 'otherwise' });
    for (const choice of (state.Choices as Record<string, unknown>[] | undefined) ?? []) {
      if (typeof choice.Next === 'string') edges.push({ from: name, to: choice.Next, label: 'when' });
    }
    for (const c of (state.Catch as Record<string, unknown>[] | undefined) ?? []) {
      if (typeof c.Next === 'string') edges.push({ from: name, to: c.Next, label: 'catch' });
    }
    const nested: AslDefinition[] = [
      ...((state.Branches as AslDefinition[] | undefined) ?? []),
      ...(['ItemProcessor', 'Iterator'] as const).map((k) => state[k]).filter((p): p is AslDefinition => isRecord(p)),
    ];
    for (const child of nested) {
      if (child.StartAt)
        edges.push({ from: name, to: child.StartAt, label: state.Type === 'Map' ? 'each item' : 'branch' });
      edges.push(...stateEdges(child, false));
    }
  }
  return edges;
}

export const START = '(start)';
export const END = '(end)';
