/**
 * The one reader of synthesized templates (issue 22). Pipelines live in nested stacks and store their definitions as
 * file assets (`DefinitionS3Location`), so a stack's own template no longer shows them; every consumer (align, the
 * Kitchen alignment, promote-report, the CLI's diff, the dashboard check) reads a stack through here and gets one
 * flat template, as if nothing were nested or stored apart:
 *
 * - each `AWS::CloudFormation::Stack` whose template is in the cloud assembly is replaced by the nested template's
 *   resources (logical ids as the nested template declares them), with the nested stack's parameters replaced by the
 *   values the parent passes, and the parent's `Fn::GetAtt [Nested, Outputs.X]` by the output's value;
 * - each state machine with a `DefinitionS3Location` whose file is in the assembly gets the `DefinitionString`
 *   CloudFormation deploys: the file's text with each `${Name}` of `DefinitionSubstitutions` replaced by its value
 *   (an `Fn::Join` of text and references, as `DefinitionBody.fromChainable` writes it inline).
 *
 * A nested template or definition that is not in the assembly (a deployed template read back) is left as it is.
 * Plain JSON work: no aws-cdk-lib import, so the CLI stays fast.
 */
import * as fs from 'fs';
import * as path from 'path';

/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation templates are untyped JSON */

/** A CloudFormation template, as far as the readers look into it. */
export interface FoldableTemplate {
  Parameters?: Record<string, { Default?: unknown; [key: string]: unknown }>;
  Resources?: Record<string, any>;
  Outputs?: Record<string, { Value?: unknown; [key: string]: unknown }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, unknown>;
  [section: string]: unknown;
}

/** Where to read a template's nested templates and definition files: their contents by asset hash. */
export interface TemplateFiles {
  /** The text of the asset with this hash (a nested template, a definition file), or undefined when absent. */
  read(hash: string): string | undefined;
}

/** The files of a cloud assembly directory, found through its asset manifests (`*.assets.json`). */
export function assemblyFiles(directory: string): TemplateFiles {
  let index: Map<string, string> | undefined;
  const paths = (): Map<string, string> => {
    if (index) return index;
    index = new Map();
    for (const file of fs.existsSync(directory) ? fs.readdirSync(directory) : []) {
      if (!file.endsWith('.assets.json')) continue;
      const manifest = JSON.parse(fs.readFileSync(path.join(directory, file), 'utf8')) as {
        files?: Record<string, { source?: { path?: string } }>;
      };
      for (const [hash, asset] of Object.entries(manifest.files ?? {})) {
        if (asset.source?.path) index.set(hash, path.resolve(directory, asset.source.path));
      }
    }
    return index;
  };
  return {
    read(hash) {
      const candidates = [paths().get(hash), path.join(directory, `asset.${hash}.json`)];
      const found = candidates.find((f): f is string => f !== undefined && fs.existsSync(f) && fs.statSync(f).isFile());
      return found === undefined ? undefined : fs.readFileSync(found, 'utf8');
    },
  };
}

/** A stack of a cloud assembly as aws-cdk-lib's reader (or the toolkit's) gives it. */
export interface AssemblyStackLike {
  readonly template: unknown;
  readonly assembly?: { readonly directory: string };
}

/** A stack's template with its nested stacks and stored definitions folded in (see the module comment). */
export function stackTemplate<T = FoldableTemplate>(stack: AssemblyStackLike): T {
  const directory = stack.assembly?.directory;
  const template = stack.template as FoldableTemplate;
  return (directory === undefined ? template : foldTemplate(template, assemblyFiles(directory))) as T;
}

/** The template of a file of a cloud assembly directory, folded (see the module comment). */
export function readAssemblyTemplate<T = FoldableTemplate>(directory: string, templateFile: string): T {
  const template = JSON.parse(fs.readFileSync(path.join(directory, templateFile), 'utf8')) as FoldableTemplate;
  return foldTemplate(template, assemblyFiles(directory)) as T;
}

// An asset's hash in a TemplateURL or an S3 key (the default synthesizer names objects `<sha256>.<ext>`).
const HASH = /[a-f0-9]{64}/;

/** The asset hash a template value (a string or an intrinsic holding one) names, if any. */
function hashIn(value: unknown): string | undefined {
  return HASH.exec(JSON.stringify(value ?? null))?.[0];
}

/** A copy of `template` with its nested stacks and stored definitions folded in. The input is not changed. */
export function foldTemplate(template: FoldableTemplate, files: TemplateFiles): FoldableTemplate {
  return fold(template, files, []);
}

function fold(template: FoldableTemplate, files: TemplateFiles, trail: readonly string[]): FoldableTemplate {
  const out = clone(template);
  const resources: Record<string, any> = out.Resources ?? {};
  for (const resource of Object.values(resources)) inlineDefinition(resource, files);
  const outputs = new Map<string, Record<string, unknown>>();
  for (const [id, resource] of Object.entries(resources)) {
    if (resource?.Type !== 'AWS::CloudFormation::Stack') continue;
    const hash = hashIn(resource.Properties?.TemplateURL);
    const text = hash === undefined ? undefined : files.read(hash);
    if (text === undefined) continue;
    if (trail.includes(hash!)) throw new Error(`nested stack ${id}: its template includes itself`);
    const nested = fold(JSON.parse(text) as FoldableTemplate, files, [...trail, hash!]);
    const passed: Record<string, unknown> = resource.Properties?.Parameters ?? {};
    const values = new Map<string, unknown>();
    for (const [name, parameter] of Object.entries(nested.Parameters ?? {})) {
      const value = passed[name] ?? parameter.Default;
      if (value !== undefined) values.set(name, value);
    }
    const substitute = (value: unknown) => replaceRefs(value, values);
    delete resources[id];
    for (const [nestedId, nestedResource] of Object.entries(nested.Resources ?? {})) {
      if (nestedId in resources || nestedId === id) {
        throw new Error(`nested stack ${id}: its resource ${nestedId} has the logical id of a resource of its parent`);
      }
      resources[nestedId] = substitute(nestedResource);
    }
    for (const section of ['Conditions', 'Mappings'] as const) {
      for (const [name, value] of Object.entries(nested[section] ?? {})) {
        const own = (out[section] ??= {});
        if (name in own && JSON.stringify(own[name]) !== JSON.stringify(value)) {
          throw new Error(`nested stack ${id}: its ${section} entry ${name} differs from its parent's`);
        }
        own[name] = substitute(value);
      }
    }
    outputs.set(
      id,
      Object.fromEntries(Object.entries(nested.Outputs ?? {}).map(([name, o]) => [name, substitute(o.Value)])),
    );
  }
  if (outputs.size === 0) return out;
  // References to a folded stack: its outputs become their values, DependsOn on it goes (its resources are here).
  for (const [id, resource] of Object.entries(resources)) {
    const replaced = replaceOutputs(resource, outputs);
    const dependsOn = replaced?.DependsOn;
    if (dependsOn !== undefined) {
      const kept = (Array.isArray(dependsOn) ? dependsOn : [dependsOn]).filter((d: string) => !outputs.has(d));
      if (kept.length === 0) delete replaced.DependsOn;
      else replaced.DependsOn = kept;
    }
    resources[id] = replaced;
  }
  if (out.Outputs) out.Outputs = replaceOutputs(out.Outputs, outputs);
  out.Resources = resources;
  return out;
}

/** `{ Ref: P }` for each parameter P of `values` replaced by its value. */
function replaceRefs(value: unknown, values: ReadonlyMap<string, unknown>): any {
  if (Array.isArray(value)) return value.map((v) => replaceRefs(v, values));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === 'Ref' && typeof record.Ref === 'string' && values.has(record.Ref)) {
    return clone(values.get(record.Ref));
  }
  return Object.fromEntries(keys.map((k) => [k, replaceRefs(record[k], values)]));
}

/** `Fn::GetAtt [Stack, Outputs.X]` of a folded stack replaced by the output's value (outputs may name outputs). */
function replaceOutputs(value: unknown, outputs: ReadonlyMap<string, Record<string, unknown>>, depth = 0): any {
  if (Array.isArray(value)) return value.map((v) => replaceOutputs(v, outputs, depth));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
    const att = record['Fn::GetAtt'];
    const [id, attribute] = Array.isArray(att) ? (att as string[]) : String(att).split(/\.(.*)/s);
    const of = outputs.get(id);
    if (of && typeof attribute === 'string' && attribute.startsWith('Outputs.')) {
      const name = attribute.slice('Outputs.'.length);
      if (!(name in of)) throw new Error(`Fn::GetAtt ${id}.${attribute}: the nested stack has no output ${name}`);
      if (depth > 20) throw new Error(`Fn::GetAtt ${id}.${attribute}: outputs refer to each other in a cycle`);
      return replaceOutputs(clone(of[name]), outputs, depth + 1);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, replaceOutputs(record[k], outputs, depth)]));
}

// A DefinitionSubstitutions placeholder in a definition file.
const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** A state machine's stored definition (`DefinitionS3Location`) as the `DefinitionString` CloudFormation deploys. */
function inlineDefinition(resource: any, files: TemplateFiles): void {
  const properties = resource?.Properties;
  if (resource?.Type !== 'AWS::StepFunctions::StateMachine' || properties?.DefinitionS3Location === undefined) return;
  const hash = hashIn(properties.DefinitionS3Location.Key);
  const text = hash === undefined ? undefined : files.read(hash);
  if (text === undefined) return;
  const substitutions: Record<string, unknown> = properties.DefinitionSubstitutions ?? {};
  const parts: unknown[] = [];
  let last = 0;
  const literal = (s: string) => {
    if (s === '') return;
    if (typeof parts[parts.length - 1] === 'string') parts[parts.length - 1] += s;
    else parts.push(s);
  };
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (!(match[1] in substitutions)) continue;
    literal(text.slice(last, match.index));
    const value = substitutions[match[1]];
    if (typeof value === 'string') literal(value);
    else parts.push(value);
    last = match.index + match[0].length;
  }
  literal(text.slice(last));
  const definitionString = parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : { 'Fn::Join': ['', parts] };
  // DefinitionString takes DefinitionS3Location's place; the substitutions are used up.
  resource.Properties = Object.fromEntries(
    Object.entries(properties)
      .filter(([key]) => key !== 'DefinitionSubstitutions')
      .map(([key, value]) => (key === 'DefinitionS3Location' ? ['DefinitionString', definitionString] : [key, value])),
  );
}

/** A deep copy of JSON (plain objects of this realm, unlike structuredClone under jest). */
function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** What reading a deployed stack needs (the SDK in `cloudFormationReader`; tests pass their own). */
export interface DeployedStacks {
  /** The original template body of a stack (name or ARN), or undefined when the stack does not exist. */
  getTemplate(stack: string): Promise<string | undefined>;
  /** The stack ids (ARNs) of a stack's nested stacks, by their logical ids in it. */
  nestedStacks?(stack: string): Promise<Record<string, string>>;
  /** The text of an S3 object, or undefined when it does not exist. */
  getObject?(bucket: string, key: string): Promise<string | undefined>;
}

/** Where a deployed stack lives: what `${AWS::AccountId}` and `${AWS::Region}` of an asset bucket name stand for. */
export interface DeployedPlace {
  readonly account: string;
  readonly region: string;
}

/**
 * A deployed stack's template folded like a synthesized one: each nested stack's template (GetTemplate on the nested
 * stack's id) and each stored definition (the asset object `DefinitionS3Location` names) is read from the account,
 * then folded in. Undefined when the stack does not exist. Without `nestedStacks` or `getObject`, or when an object
 * is gone, that part stays as deployed.
 */
export async function readDeployedTemplate(
  reader: DeployedStacks,
  stackName: string,
  place: DeployedPlace,
  parse: (body: string) => FoldableTemplate = (body) => JSON.parse(body) as FoldableTemplate,
): Promise<FoldableTemplate | undefined> {
  const body = await reader.getTemplate(stackName);
  if (body === undefined) return undefined;
  const template = parse(body);
  const texts = new Map<string, string>();
  const collect = async (stack: string, of: FoldableTemplate, depth: number): Promise<void> => {
    const resources = Object.entries(of.Resources ?? {});
    for (const [, resource] of resources) {
      const location = resource?.Properties?.DefinitionS3Location;
      if (resource?.Type !== 'AWS::StepFunctions::StateMachine' || location === undefined || !reader.getObject)
        continue;
      const hash = hashIn(location.Key);
      const bucket = deployedString(location.Bucket, place);
      const key = deployedString(location.Key, place);
      if (hash === undefined || bucket === undefined || key === undefined || texts.has(hash)) continue;
      const text = await reader.getObject(bucket, key);
      if (text !== undefined) texts.set(hash, text);
    }
    const stacks = resources.filter(([, r]) => r?.Type === 'AWS::CloudFormation::Stack');
    if (stacks.length === 0 || !reader.nestedStacks) return;
    if (depth > 10) throw new Error(`stack ${stack}: nested stacks more than 10 deep`);
    const ids = await reader.nestedStacks(stack);
    for (const [logicalId, resource] of stacks) {
      const hash = hashIn(resource.Properties?.TemplateURL);
      const id = ids[logicalId];
      if (hash === undefined || id === undefined) continue;
      const nestedBody = await reader.getTemplate(id);
      if (nestedBody === undefined) continue;
      const nested = parse(nestedBody);
      texts.set(hash, JSON.stringify(nested));
      await collect(id, nested, depth + 1);
    }
  };
  await collect(stackName, template, 0);
  return foldTemplate(template, { read: (hash) => texts.get(hash) });
}

/** A template string value with the pseudo parameters of `place` filled in (a literal, or an Fn::Sub of them). */
function deployedString(value: unknown, place: DeployedPlace): string | undefined {
  if (typeof value === 'string') return value;
  const sub = (value as Record<string, unknown> | undefined)?.['Fn::Sub'];
  if (typeof sub !== 'string') return undefined;
  const partition = place.region.startsWith('cn-')
    ? 'aws-cn'
    : place.region.startsWith('us-gov-')
      ? 'aws-us-gov'
      : 'aws';
  const pseudo: Record<string, string> = {
    'AWS::AccountId': place.account,
    'AWS::Region': place.region,
    'AWS::Partition': partition,
    'AWS::URLSuffix': partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
  };
  let unknown = false;
  const text = sub.replace(/\$\{([^}]+)\}/g, (_, name: string) => pseudo[name] ?? ((unknown = true), ''));
  return unknown ? undefined : text;
}
