import type { Register } from '../program';
import { register as clone } from './clone';
import { register as name } from './name';

/** Every command of the CLI, in help order. */
export const COMMANDS: readonly Register[] = [name, clone];
