// A process that tries to lock a data directory at a given moment (so two of them race), prints
// "locked" or "refused", and holds a lock it got for a while. Args: dir, startAt (ms), holdMs.
import { lockDataDir } from '../../src/enrich/data-dir-lock.js';

const [dir, startAt, holdMs] = process.argv.slice(2);
while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
try {
  const unlock = lockDataDir(dir!);
  process.stdout.write('locked\n');
  await new Promise((r) => setTimeout(r, Number(holdMs)));
  unlock();
} catch (err) {
  process.stdout.write(`refused ${(err as Error).message}\n`);
}
