/**
 * benchmarks/lib/part-child.ts: the child process of one suite part (`parts.ts`):
 * `node part-child.js <part> <runs> <quick|default>`. Sends the part's result (or its error)
 * to the parent over IPC, then exits, ending whatever threads the part left.
 */
import { PARTS, runPart, type PartMessage, type PartName } from './parts.js';

const [name, runs, mode] = process.argv.slice(2);

async function main(): Promise<PartMessage> {
  if (!(PARTS as readonly string[]).includes(name ?? '')) return { ok: false, error: `unknown part '${name}'` };
  try {
    const value = await runPart(name as PartName, { runs: Number(runs), quick: mode === 'quick' });
    return { ok: true, value: value ?? null };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

const message = await main();
if (process.send === undefined) {
  console.log(JSON.stringify(message, null, 2));
  process.exit(0);
} else process.send(message, () => process.exit(0));
