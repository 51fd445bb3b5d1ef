import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

/** One log record as the receiver decoded it, whichever encoding carried it. */
export interface ReceivedRecord {
  readonly timeUnixNano: string;
  readonly observedTimeUnixNano: string;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: unknown;
  readonly eventName: string;
  readonly attributes: Record<string, unknown>;
  readonly resource: Record<string, unknown>;
  readonly scope: { name: string; version: string };
}

export interface ReceivedRequest {
  readonly contentType: string;
  readonly headers: IncomingMessage['headers'];
  readonly records: ReceivedRecord[];
}

export interface Reply {
  readonly status: number;
  /** Cut the connection instead of answering (a proxy that resets). */
  readonly reset?: boolean;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

const root = protobuf.loadSync(new URL('./otlp-logs.proto', import.meta.url).pathname);
const RequestType = root.lookupType('otlp.ExportLogsServiceRequest');

/**
 * A local OTLP/HTTP logs endpoint for tests: decodes what the real exporter sends (protobuf or
 * JSON, gzip or not), answers as told, and keeps the records of every 2xx answer.
 */
export class OtlpReceiver {
  readonly accepted: ReceivedRecord[] = [];
  readonly requests: ReceivedRequest[] = [];
  respond: (req: ReceivedRequest) => Reply | Promise<Reply> = () => ({ status: 200 });
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  /** With `tls`, an HTTPS endpoint (and, with `ca` and `requestCert`, one that wants client certificates). */
  constructor(private readonly tls?: { cert: Buffer; key: Buffer; ca?: Buffer; requestCert?: boolean }) {}

  get url(): string {
    return `${this.tls !== undefined ? 'https' : 'http'}://127.0.0.1:${this.port}/v1/logs`;
  }

  async listen(port = this.port): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          let raw = Buffer.concat(chunks);
          if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
          const contentType = req.headers['content-type'] ?? '';
          const records = decodeRequest(raw, contentType);
          const request = { contentType, headers: req.headers, records };
          this.requests.push(request);
          const reply = await this.respond(request);
          if (reply.reset === true) {
            req.socket.destroy();
            return;
          }
          if (reply.status >= 200 && reply.status < 300) this.accepted.push(...records);
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(reply.body ?? '{}');
        })();
      });
    };
    const t = this.tls;
    const server: Server =
      t !== undefined
        ? createHttpsServer({ cert: t.cert, key: t.key, ...(t.ca !== undefined ? { ca: t.ca } : {}), requestCert: t.requestCert === true, rejectUnauthorized: t.requestCert === true }, handler)
        : createServer(handler);
    // The raw sockets, TLS or not: close() must also cut connections still in their handshake.
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops answering: the port refuses connections until listen() again. */
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s === undefined) return;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Accepted records by log.record.uid: how many times each message arrived. */
  countsByUid(): Map<string, number> {
    const m = new Map<string, number>();
    for (const r of this.accepted) {
      const uid = String(r.attributes['log.record.uid']);
      m.set(uid, (m.get(uid) ?? 0) + 1);
    }
    return m;
  }
}

function decodeRequest(raw: Buffer, contentType: string): ReceivedRecord[] {
  const doc = contentType.includes('json')
    ? (JSON.parse(raw.toString('utf8')) as Json)
    : (RequestType.toObject(RequestType.decode(raw), { longs: String, bytes: String, oneofs: true }));
  const out: ReceivedRecord[] = [];
  for (const rl of arr(doc.resourceLogs)) {
    const resource = kvs(arr((rl.resource as Json | undefined)?.attributes));
    for (const sl of arr(rl.scopeLogs)) {
      const scope = (sl.scope ?? {}) as Json;
      for (const lr of arr(sl.logRecords)) {
        out.push({
          timeUnixNano: String(lr.timeUnixNano ?? '0'),
          observedTimeUnixNano: String(lr.observedTimeUnixNano ?? '0'),
          severityNumber: Number(lr.severityNumber ?? 0),
          severityText: String(lr.severityText ?? ''),
          body: anyValue(lr.body as Json | undefined),
          eventName: String(lr.eventName ?? ''),
          attributes: kvs(arr(lr.attributes)),
          resource,
          scope: { name: String(scope.name ?? ''), version: String(scope.version ?? '') },
        });
      }
    }
  }
  return out;
}

type Json = Record<string, unknown>;

function arr(v: unknown): Json[] {
  return Array.isArray(v) ? (v as Json[]) : [];
}

function kvs(list: Json[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list) out[String(kv.key)] = anyValue(kv.value as Json | undefined);
  return out;
}

/** OTLP AnyValue -> plain JS (int64 as number: our values are small). */
function anyValue(v: Json | undefined): unknown {
  if (v === undefined || v === null) return undefined;
  // protobufjs names the set oneof field in `value`; OTLP JSON has just that one key.
  const which = typeof v.value === 'string' ? v.value : Object.keys(v).find((k) => k.endsWith('Value'));
  switch (which) {
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'intValue':
      return Number(v.intValue);
    case 'doubleValue':
      return Number(v.doubleValue);
    case 'arrayValue':
      return arr((v.arrayValue as Json).values).map((x) => anyValue(x));
    case 'kvlistValue':
      return kvs(arr((v.kvlistValue as Json).values));
    default:
      return undefined;
  }
}
