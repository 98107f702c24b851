/** The bundled config, loaded without aws-cdk-lib (test/support/app.ts imports it). */
import * as path from 'path';
import { loadConfig } from '../../../lib/config/loader';
import type { KitchensConfig } from '../../../lib/config/model';

export const BUNDLED_CONFIG = path.join(__dirname, '..', '..', '..', 'kitchens.config.yaml');

export function exampleConfigNoCdk(): KitchensConfig {
  return loadConfig(BUNDLED_CONFIG);
}
