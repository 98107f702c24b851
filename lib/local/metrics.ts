/* eslint-disable @typescript-eslint/no-explicit-any -- PutMetricData input is untyped JSON from the state machine */
/**
 * Local binding of `aws-sdk:cloudwatch:putMetricData`: validates a call the way CloudWatch does (namespace, at most
 * 1,000 items, names, up to 30 dimensions, a finite numeric value) and records it. A call CloudWatch would reject
 * raises the error Step Functions would see, so Catch paths run locally as they would on AWS.
 */

export interface LocalMetricDatum {
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
  readonly unit?: string;
}

export interface LocalMetricCall {
  /** The Task state that made the call. */
  readonly state: string;
  readonly namespace: string;
  readonly data: readonly LocalMetricDatum[];
}

function rejected(name: string, message: string): Error {
  const error = new Error(message);
  error.name = `CloudWatch.${name}`;
  return error;
}

/** Checks one PutMetricData input and returns it as a LocalMetricCall, or throws what CloudWatch would answer. */
export function checkPutMetricData(state: string, input: any): LocalMetricCall {
  const namespace = input?.Namespace;
  if (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 255) {
    throw rejected(
      'MissingRequiredParameterException',
      `Namespace must be 1 to 255 characters, got ${JSON.stringify(namespace)}`,
    );
  }
  if (namespace.startsWith('AWS/')) {
    throw rejected('InvalidParameterValueException', `Namespace ${namespace} is reserved for AWS`);
  }
  const items: unknown = input.MetricData;
  if (!Array.isArray(items) || items.length === 0 || items.length > 1000) {
    throw rejected(
      'InvalidParameterValueException',
      `MetricData must hold 1 to 1000 items, got ${Array.isArray(items) ? items.length : JSON.stringify(items)}`,
    );
  }
  const data = items.map((item: any, i): LocalMetricDatum => {
    const where = `MetricData.member.${i + 1}`;
    if (typeof item?.MetricName !== 'string' || item.MetricName.length === 0 || item.MetricName.length > 255) {
      throw rejected('InvalidParameterValueException', `${where}.MetricName must be 1 to 255 characters`);
    }
    const dims: any[] = item.Dimensions ?? [];
    if (!Array.isArray(dims) || dims.length > 30) {
      throw rejected('InvalidParameterValueException', `${where}.Dimensions must hold at most 30 dimensions`);
    }
    const dimensions: Record<string, string> = {};
    for (const [j, d] of dims.entries()) {
      if (typeof d?.Name !== 'string' || d.Name.length === 0 || d.Name.length > 255) {
        throw rejected(
          'InvalidParameterValueException',
          `${where}.Dimensions.member.${j + 1}.Name must be 1 to 255 characters`,
        );
      }
      if (typeof d.Value !== 'string' || d.Value.length === 0 || d.Value.length > 1024) {
        throw rejected(
          'InvalidParameterValueException',
          `${where}.Dimensions.member.${j + 1}.Value must be 1 to 1024 characters, got ${JSON.stringify(d.Value)}`,
        );
      }
      dimensions[d.Name] = d.Value;
    }
    if (typeof item.Value !== 'number' || !Number.isFinite(item.Value)) {
      throw rejected(
        'InvalidParameterValueException',
        `${where}.Value must be a finite number, got ${JSON.stringify(item.Value)}`,
      );
    }
    return { metricName: item.MetricName, dimensions, value: item.Value, ...(item.Unit ? { unit: item.Unit } : {}) };
  });
  return { state, namespace, data };
}

/** A local Task handler for PutMetricData that hands each accepted call to `record`. */
export function putMetricData(state: string, record: (call: LocalMetricCall) => void) {
  return async (input: unknown): Promise<Record<string, never>> => {
    record(checkPutMetricData(state, input));
    return {};
  };
}
