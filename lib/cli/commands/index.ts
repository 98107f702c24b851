import type { Register } from '../program';
import { register as align } from './align';
import { register as clone } from './clone';
import { register as create } from './create';
import { register as deleteKitchen } from './delete';
import { register as list } from './list';
import { register as name } from './name';
import { register as promoteReport } from './promote-report';
import { register as run } from './run';
import { register as status } from './status';

/** Every command of the CLI, in help order. */
export const COMMANDS: readonly Register[] = [
  name,
  create,
  list,
  status,
  deleteKitchen,
  clone,
  run,
  align,
  promoteReport,
];
