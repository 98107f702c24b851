import type { Register } from '../program';
import { register as align } from './align';
import { register as clone } from './clone';
import { register as name } from './name';
import { register as promoteReport } from './promote-report';

/** Every command of the CLI, in help order. */
export const COMMANDS: readonly Register[] = [name, clone, align, promoteReport];
