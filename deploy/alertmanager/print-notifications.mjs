// The compose demo's stand-in for a chat channel or a mailbox: an Alertmanager webhook receiver
// that prints each notification as a person would read it (`docker compose logs -f webhook`).
// Plain Node.js, no dependencies. PORT (8080) to listen on.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);

createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    try {
      const msg = JSON.parse(body);
      for (const a of msg.alerts ?? []) {
        const l = a.labels ?? {};
        const n = a.annotations ?? {};
        const head = `[${(a.status ?? 'firing').toUpperCase()}] ${l.alertname ?? 'alert'} (${l.severity ?? 'none'}${l.cloud_region ? `, ${l.cloud_region}` : ''})`;
        const lines = [head, n.summary, n.description, n.when ? `when: ${n.when}` : undefined, n.log_record_uid ? `record: ${n.log_record_uid}` : undefined];
        process.stdout.write(`${lines.filter((x) => x).join('\n  ')}\n`);
      }
      res.writeHead(200).end();
    } catch (err) {
      process.stderr.write(`not a webhook notification: ${err.message}\n`);
      res.writeHead(400).end();
    }
  });
}).listen(port, () => process.stdout.write(`printing Alertmanager notifications sent to :${port}\n`));
