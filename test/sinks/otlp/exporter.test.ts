// The OTLP/HTTP exporter against a real local HTTP server: what each answer becomes, with the
// status kept in the reason, Retry-After read, partial success decoded in both protocols.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecordData } from '../../../src/cadf/index.js';
import { createExporter, type BatchExporter } from '../../../src/sinks/otlp/exporter.js';
import { parseRetryAfter } from '../../../src/sinks/otlp/failure.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const record: LogRecordData = { eventName: 'e', timestamp: [1_700_000_000, 0], severityNumber: 9, severityText: 'INFO', body: 'b', attributes: { k: 'v' } };
const batch = { records: [record, record], observed: [[1_700_000_001, 0], [1_700_000_001, 0]] as Array<[number, number]> };

function exporter(protocol: 'http/protobuf' | 'http/json', target = url): BatchExporter {
  return createExporter({ url: target, protocol, headers: { 'x-test': '1' }, compression: 'none' }, resourceFromAttributes({}), { name: 's', version: '1' }, process.stdout);
}

/** ExportLogsServiceResponse { partial_success { rejected_log_records, error_message } } by hand. */
function partialProtobuf(n: number, message: string): Buffer {
  const msg = Buffer.from(message);
  const inner = Buffer.concat([Buffer.from([0x08, n, 0x12, msg.length]), msg]);
  return Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
}

describe.each(['http/protobuf', 'http/json'] as const)('%s exporter', (protocol) => {
  it('a 2xx is ok, with the content type of the protocol', async () => {
    let type = '';
    handler = (req, res) => {
      type = req.headers['content-type'] ?? '';
      res.end();
    };
    expect(await exporter(protocol).send(batch, 2000)).toEqual({ kind: 'ok', rejected: 0, message: '' });
    expect(type).toBe(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
  });

  it('takes records encoded as they were built where it encodes them, and refuses them by throwing (a requeue) where not', async () => {
    let bytes = 0;
    handler = (req, res) => {
      bytes = Number(req.headers['content-length'] ?? 0);
      res.end();
    };
    const e = exporter(protocol);
    if (protocol === 'http/json') {
      expect(e.encodeRecord).toBeUndefined();
      await expect(e.send({ encoded: [new Uint8Array(2)] }, 2000)).rejects.toThrow(/takes records/);
      expect(bytes).toBe(0);
    } else {
      const encoded = batch.records.map((r, i) => e.encodeRecord!(r, batch.observed[i]!));
      expect(await e.send({ encoded }, 2000)).toEqual({ kind: 'ok', rejected: 0, message: '' });
      expect(bytes).toBeGreaterThan(encoded.reduce((n, b) => n + b.length, 0));
    }
  });

  it('a partial success is counted with the server message', async () => {
    handler = (_req, res) => {
      if (protocol === 'http/json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ partialSuccess: { rejectedLogRecords: '1', errorMessage: 'entry too far behind' } }));
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(partialProtobuf(1, 'entry too far behind'));
    };
    expect(await exporter(protocol).send(batch, 2000)).toEqual({ kind: 'ok', rejected: 1, message: 'entry too far behind' });
  });

  it.each([
    [429, 'status_429', 'retry'],
    [502, 'status_5xx', 'retry'],
    [503, 'status_5xx', 'retry'],
    [504, 'status_5xx', 'retry'],
    [500, 'status_5xx', 'retry'],
    [401, 'status_401', 'retry'],
    [403, 'status_403', 'retry'],
    [404, 'status_404', 'retry'],
    [400, 'status_400', 'refused'],
    [413, 'status_413', 'refused'],
  ])('HTTP %i is %s (%s), the body in the message', async (status, reason, kind) => {
    handler = (_req, res) => res.writeHead(status).end('the server says why');
    const r = await exporter(protocol).send(batch, 2000);
    expect(r).toMatchObject({ kind, reason, message: `HTTP ${status}: the server says why` });
  });

  it('Retry-After is read, in seconds or as a date', async () => {
    handler = (_req, res) => res.writeHead(429, { 'retry-after': '45' }).end();
    expect(await exporter(protocol).send(batch, 2000)).toMatchObject({ kind: 'retry', reason: 'status_429', retryAfterMs: 45_000 });
    const at = new Date(Date.now() + 120_000).toUTCString();
    handler = (_req, res) => res.writeHead(503, { 'retry-after': at }).end();
    const r = await exporter(protocol).send(batch, 2000);
    expect(r.kind === 'retry' ? r.retryAfterMs : 0).toBeGreaterThan(100_000);
  });

  it('an endpoint that never answers is a timeout within the time given', async () => {
    handler = () => undefined; // never answers
    const started = Date.now();
    expect(await exporter(protocol).send(batch, 300)).toMatchObject({ kind: 'retry', reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a reset connection and a closed port are network failures', async () => {
    handler = (req) => req.socket.destroy();
    expect(await exporter(protocol).send(batch, 2000)).toMatchObject({ kind: 'retry', reason: 'network' });
    expect(await exporter(protocol, 'http://127.0.0.1:1/v1/logs').send(batch, 2000)).toMatchObject({ kind: 'retry', reason: 'network', message: expect.stringContaining('ECONNREFUSED') as string });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and dates, and ignores junk', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(new Date(Date.now() - 5000).toUTCString())).toBe(0);
  });
});
