// `npm run soak`: the fault scenario of test/service/faults.test.ts with 1,000,000 messages (or
// SOAK_MESSAGES), printing the accounting, peak RSS and the held items over time. Outside CI.
import { runFaultScenario } from '../support/fault-scenario.js';
import { PrivateRabbit } from '../support/private-rabbit.js';

const messages = Number(process.env.SOAK_MESSAGES ?? 1_000_000);
const protocol = process.env.SOAK_PROTOCOL === 'http/json' ? 'http/json' : 'http/protobuf';
const node = await PrivateRabbit.start('soak');
const stop = (): void => {
  void node.stop().finally(() => process.exit(130));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
let peakRss = 0;
let peakHeld = 0;
const held: string[] = [];
const started = Date.now();
try {
  const a = await runFaultScenario({
    node,
    protocol,
    messages,
    tail: 20_000,
    batchSize: 256,
    timeoutMs: 30 * 60_000,
    say: (l) => console.log(`${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s  ${l}`),
    sample: (rss, h) => {
      peakRss = Math.max(peakRss, rss);
      peakHeld = Math.max(peakHeld, h);
      if (held.length === 0 || (Date.now() - started) / 10_000 > held.length) held.push(`${((Date.now() - started) / 1000).toFixed(0)}s:${h}`);
    },
  });
  console.log(JSON.stringify({ ...a, lost: a.lost.length, epochEvent: a.epochEvent !== undefined }, null, 2));
  console.log(`peak RSS ${peakRss.toFixed(0)} MB, peak held items ${peakHeld}; held over time: ${held.join(' ')}`);
  console.log(a.lost.length === 0 && a.poisonMissing.length === 0 && a.queueLeft === 0 ? 'OK: nothing lost' : 'FAILED: something was lost');
  process.exitCode = a.lost.length === 0 && a.poisonMissing.length === 0 && a.queueLeft === 0 ? 0 : 1;
} finally {
  await node.stop();
}
