import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

const root = protobuf.loadSync(new URL('../test/support/otlp-logs.proto', import.meta.url).pathname);
const Request = root.lookupType('otlp.ExportLogsServiceRequest');

interface LogRecordLite {
  timeUnixNano?: { toString(): string } | string | number;
  attributes?: Array<{ key: string; value?: { stringValue?: string } }>;
}
interface RequestLite {
  resourceLogs?: Array<{ scopeLogs?: Array<{ logRecords?: LogRecordLite[] }> }>;
}

/**
 * The benchmark's OTLP/HTTP endpoint: decodes every request (protobuf or JSON), counts records and
 * distinct log.record.uid values, and records each record's lag (arrival - event time).
 */
export class CountingSink {
  records = 0;
  readonly uids = new Set<string>();
  lags: number[] = [];
  firstAt = 0;
  lastAt = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const doc = (
          String(req.headers['content-type']).includes('json') ? JSON.parse(body.toString('utf8')) : Request.decode(body)
        ) as RequestLite;
        const now = Date.now();
        if (this.firstAt === 0) this.firstAt = now;
        for (const rl of doc.resourceLogs ?? []) {
          for (const sl of rl.scopeLogs ?? []) {
            for (const r of sl.logRecords ?? []) {
              this.records += 1;
              const uid = r.attributes?.find((a) => a.key === 'log.record.uid')?.value?.stringValue;
              if (uid !== undefined) this.uids.add(uid);
              const ns = Number(String(r.timeUnixNano ?? 0));
              if (ns > 0) this.lags.push(now / 1000 - ns / 1e9);
            }
          }
        }
        this.lastAt = now;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/logs`;
  }

  reset(): void {
    this.records = 0;
    this.uids.clear();
    this.lags = [];
    this.firstAt = 0;
    this.lastAt = 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}
