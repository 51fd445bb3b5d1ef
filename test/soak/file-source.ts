// `npm run soak:file`: a 1 GiB log file (SOAK_FILE_MB) of Keystone log-driver lines, one in ten a
// notification as in a real keystone.log, read by the real exporter with CADF_SOURCES=file.
// Prints lines/s, CPU per line and the exporter's peak RSS, which must stay flat whatever the
// file's size (reading pauses while the pipeline is full). Outside CI: it takes minutes.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExporterProcess, waitFor } from '../support/exporter.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';

const targetBytes = Number(process.env.SOAK_FILE_MB ?? 1024) * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'cadf-soak-file-'));
const file = join(dir, 'keystone.log');
const noise = '2026-12-02 05:09:35.314 3476 INFO keystone.common.wsgi [None req-0 - - - - - -] POST http://127.0.0.1/v3/auth/tokens\n';

function notification(i: number): string {
  const n = { message_id: `m-${i}`, publisher_id: 'identity.vm', event_type: 'identity.authenticate', priority: 'INFO', timestamp: '2026-12-02 05:09:35.314000', payload: { typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event', eventType: 'activity', id: `e-${i}`, eventTime: '2026-12-02T05:09:35.313000+0000', action: 'authenticate', outcome: 'success', initiator: { id: 'u', typeURI: 'service/security/account/user' }, target: { id: 't', typeURI: 'service/security/account/user' }, observer: { id: 'o', typeURI: 'service/security' } } };
  return `2026-12-02 05:09:35.314 3476 INFO oslo.messaging.notification.identity.authenticate [None req-${i} - - - - - -] ${JSON.stringify(n)}\n`;
}

let written = 0;
let notifications = 0;
let lines = 0;
const fd = openSync(file, 'w');
while (written < targetBytes) {
  let chunk = '';
  for (let k = 0; k < 1000; k++) {
    chunk += lines % 10 === 0 ? notification(notifications++) : noise;
    lines += 1;
  }
  written += writeSync(fd, chunk);
}
closeSync(fd);
console.log(`wrote ${(written / 2 ** 20).toFixed(0)} MiB: ${lines} lines, ${notifications} notifications`);

const receiver = new OtlpReceiver();
await receiver.listen();
const seen = new Set<string>();
const e = ExporterProcess.spawn({
  CADF_SOURCES: 'file',
  CADF_FILE_PATHS: file,
  CADF_DATA_DIR: join(dir, 'data'),
  CADF_LOG_LEVEL: 'warn',
  // SOAK_NODE_OPTIONS=--max-old-space-size=64 tells a leak (out of memory) from a heap V8 merely lets grow.
  ...(process.env.SOAK_NODE_OPTIONS !== undefined ? { NODE_OPTIONS: process.env.SOAK_NODE_OPTIONS } : {}),
  OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: receiver.url,
});
const pid = e.child.pid!;
const status = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const cpu = (): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const started = Date.now();
const rss: number[] = [];
try {
  await waitFor(
    () => {
      for (const r of receiver.accepted.splice(0)) seen.add(String(r.attributes['log.record.uid']));
      rss.push(status('VmRSS'));
      return seen.size >= notifications;
    },
    3_600_000,
    () => `only ${seen.size}/${notifications}:\n${e.stderr.slice(-2000)}`,
  );
  const seconds = (Date.now() - started) / 1000;
  const cpuSeconds = cpu();
  console.log(`read ${lines} lines in ${seconds.toFixed(1)} s: ${Math.round(lines / seconds)} lines/s, ${Math.round(notifications / seconds)} notifications/s`);
  console.log(`CPU ${((cpuSeconds * 1e6) / lines).toFixed(2)} us per line, ${((cpuSeconds * 1e6) / notifications).toFixed(1)} us per notification`);
  const q = (p: number): number => [...rss].sort((a, b) => a - b)[Math.floor((rss.length - 1) * p)]!;
  console.log(`exporter RSS: peak ${status('VmHWM').toFixed(0)} MB, p50 ${q(0.5).toFixed(0)} MB, first quarter max ${Math.max(...rss.slice(0, rss.length >> 2)).toFixed(0)} MB, last quarter max ${Math.max(...rss.slice(-(rss.length >> 2))).toFixed(0)} MB`);
  console.log(`received ${seen.size}/${notifications} unique: ${seen.size === notifications ? 'none lost' : 'LOST'}`);
} finally {
  await e.stop();
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
}
