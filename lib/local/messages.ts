/** Lines `kitchen run --local` prints for local events; no engine or database is loaded here (CLI start-up). */
import type { LocalEvent } from './runner';

/**
 * One line for a container step that did not succeed: `container APP never started: REASON`, or `container APP
 * exited with CODE: LAST OUTPUT LINES`. Undefined for a container that exited with 0.
 */
export function describeContainerEvent(event: Extract<LocalEvent, { type: 'container' }>): string | undefined {
  if (!event.started) return `container ${event.app} never started: ${event.reason ?? 'no reason given'}`;
  if (event.exitCode === 0) return undefined;
  return `container ${event.app} exited with ${event.exitCode}: ${event.output.trim().split('\n').slice(-5).join(' | ')}`;
}
