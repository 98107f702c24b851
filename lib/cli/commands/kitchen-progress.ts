/** Routes the CDK Toolkit's messages to stderr: progress is silent with --json, warnings and errors never are. */
import type { Output } from '../output';

export type ToolkitLevel = 'error' | 'result' | 'warn' | 'info' | 'debug' | 'trace';

export function toolkitLog(output: Output): (level: ToolkitLevel, message: string) => void {
  return (level, message) => {
    if (level === 'error' || level === 'warn') {
      output.warn(message);
    } else {
      output.progress(message);
    }
  };
}
