import type { AttributeValue, Attributes, HrTime, LogRecordData } from '../../cadf/index.js';

/** A batch of records with the time each was received. */
export interface RecordBatch {
  readonly records: readonly LogRecordData[];
  readonly observed: readonly HrTime[];
}

const TWO_32 = 2 ** 32;

/**
 * OTLP ExportLogsServiceRequest protobuf encoder for our records: one resource, one scope, string,
 * bool, number and string-array attributes. It writes what OpenTelemetry's ProtobufLogsSerializer
 * writes for the same records (test/sinks/otlp/protobuf.test.ts decodes both and compares), in
 * about a third of the time: attribute keys are encoded once and cached, sizes are computed in one
 * pass and bytes written in a second, into one buffer. See docs/performance.md.
 */
export class LogsProtobufEncoder {
  private readonly keys = new Map<string, Buffer>();
  private readonly resourceField: Buffer;
  private readonly scopeField: Buffer;
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private sizes: number[] = [];
  private si = 0;

  constructor(resource: Attributes, scope: { name: string; version?: string }) {
    // Resource { repeated KeyValue attributes = 1 } as ResourceLogs.resource (field 1).
    this.resourceField = this.standalone((w) => {
      const size = w.attributesSize(resource);
      w.pos = 0;
      w.tag(1, 2);
      w.varint(size);
      w.attributes(resource, 1);
    });
    // InstrumentationScope { name = 1; version = 2 } as ScopeLogs.scope (field 1).
    this.scopeField = this.standalone((w) => {
      const inner = strField(scope.name) + (scope.version ? strField(scope.version) : 0);
      w.tag(1, 2);
      w.varint(inner);
      w.tag(1, 2);
      w.string(scope.name);
      if (scope.version) {
        w.tag(2, 2);
        w.string(scope.version);
      }
    });
  }

  encode(batch: RecordBatch): Uint8Array {
    const { records, observed } = batch;
    this.sizes.length = 0;
    this.si = 0;
    // Pass 1: sizes, in the order pass 2 needs them.
    let scopeLogs = this.scopeField.length;
    for (const r of records) {
      const n = this.recordSize(r);
      scopeLogs += 1 + varintSize(n) + n;
    }
    const resourceLogs = this.resourceField.length + 1 + varintSize(scopeLogs) + scopeLogs;
    const total = 1 + varintSize(resourceLogs) + resourceLogs;
    if (this.buf.length < total) this.buf = Buffer.allocUnsafe(Math.max(total, this.buf.length * 2));
    this.pos = 0;
    // Pass 2: bytes.
    this.tag(1, 2); // ExportLogsServiceRequest.resource_logs
    this.varint(resourceLogs);
    this.raw(this.resourceField);
    this.tag(2, 2); // ResourceLogs.scope_logs
    this.varint(scopeLogs);
    this.raw(this.scopeField);
    for (let i = 0; i < records.length; i++) this.record(records[i]!, observed[i]!);
    return Uint8Array.prototype.slice.call(this.buf, 0, this.pos);
  }

  private recordSize(r: LogRecordData): number {
    const slot = this.sizes.length;
    this.sizes.push(0);
    let n = 9 + 9 + 2; // time_unix_nano, observed_time_unix_nano, dropped_attributes_count = 0
    n += 1 + varintSize(r.severityNumber);
    if (r.severityText !== '') n += strField(r.severityText);
    const body = strField(r.body); // AnyValue{string_value}
    n += 1 + varintSize(body) + body;
    n += this.attributesSize(r.attributes);
    if (r.eventName !== '') n += strField(r.eventName);
    this.sizes[slot] = n;
    return n;
  }

  private record(r: LogRecordData, observed: HrTime): void {
    this.tag(2, 2); // ScopeLogs.log_records
    this.varint(this.sizes[this.si++]!);
    this.tag(1, 1);
    this.fixed64Time(r.timestamp ?? observed);
    this.tag(2, 0);
    this.varint(r.severityNumber);
    if (r.severityText !== '') {
      this.tag(3, 2);
      this.string(r.severityText);
    }
    this.tag(5, 2);
    this.varint(strField(r.body));
    this.tag(1, 2);
    this.string(r.body);
    this.attributes(r.attributes, 6);
    this.tag(7, 0);
    this.varint(0);
    this.tag(11, 1);
    this.fixed64Time(observed);
    if (r.eventName !== '') {
      this.tag(12, 2);
      this.string(r.eventName);
    }
  }

  /** Size of the repeated KeyValue fields; records each KeyValue's size for pass 2. */
  private attributesSize(attrs: Attributes): number {
    let n = 0;
    for (const k in attrs) {
      const v = anyValueSize(attrs[k]!);
      const kv = this.key(k).length + 1 + varintSize(v) + v;
      this.sizes.push(kv);
      n += 1 + varintSize(kv) + kv;
    }
    return n;
  }

  private attributes(attrs: Attributes, field: number): void {
    for (const k in attrs) {
      const v = attrs[k]!;
      this.tag(field, 2);
      this.varint(this.sizes[this.si++]!);
      this.raw(this.key(k));
      this.tag(2, 2);
      this.varint(anyValueSize(v));
      this.anyValue(v);
    }
  }

  private anyValue(v: AttributeValue): void {
    if (typeof v === 'string') {
      this.tag(1, 2);
      this.string(v);
    } else if (typeof v === 'number') {
      if (Number.isInteger(v)) {
        this.tag(3, 0);
        this.varint64(v);
      } else {
        this.tag(4, 1);
        this.buf.writeDoubleLE(v, this.pos);
        this.pos += 8;
      }
    } else if (typeof v === 'boolean') {
      this.tag(2, 0);
      this.varint(v ? 1 : 0);
    } else {
      // ArrayValue { repeated AnyValue values = 1 }
      this.tag(5, 2);
      let inner = 0;
      for (const s of v) inner += 1 + varintSize(strField(s)) + strField(s);
      this.varint(inner);
      for (const s of v) {
        this.tag(1, 2);
        this.varint(strField(s));
        this.tag(1, 2);
        this.string(s);
      }
    }
  }

  /** `KeyValue.key` (field 1) with its tag and length, encoded once per distinct key. */
  private key(k: string): Buffer {
    let b = this.keys.get(k);
    if (b === undefined) {
      const bytes = Buffer.from(k, 'utf8');
      b = Buffer.concat([Buffer.from([0x0a]), varintBytes(bytes.length), bytes]);
      this.keys.set(k, b);
    }
    return b;
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  private varint(n: number): void {
    while (n > 0x7f) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
  }

  /** int64 varint of a non-negative or negative integer (two's complement, 10 bytes if negative). */
  private varint64(n: number): void {
    if (n >= 0 && n <= 0xffffffff) {
      let x = n;
      while (x > 0x7f) {
        this.buf[this.pos++] = (x % 128) | 0x80;
        x = Math.floor(x / 128);
      }
      this.buf[this.pos++] = x;
      return;
    }
    let x = BigInt.asUintN(64, BigInt(n));
    while (x > 0x7fn) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }

  private string(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  private raw(b: Buffer): void {
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** fixed64 nanoseconds, computed without leaving the safe-integer range. */
  private fixed64Time(t: HrTime): void {
    const sec = t[0];
    const lo16 = sec % 65536;
    const hi = (sec - lo16) / 65536;
    const b = hi * 1e9;
    const x = (b % 65536) * 65536 + lo16 * 1e9 + t[1];
    const low = x % TWO_32;
    const high = Math.floor(b / 65536) + Math.floor(x / TWO_32);
    this.buf.writeUInt32LE(low, this.pos);
    this.buf.writeUInt32LE(high, this.pos + 4);
    this.pos += 8;
  }

  /** Runs a write against a scratch buffer and returns exactly what it wrote. */
  private standalone(write: (w: this) => void): Buffer {
    this.pos = 0;
    this.sizes.length = 0;
    this.si = 0;
    write(this);
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

function strField(s: string): number {
  const len = Buffer.byteLength(s, 'utf8');
  return 1 + varintSize(len) + len;
}

function anyValueSize(v: AttributeValue): number {
  if (typeof v === 'string') return strField(v);
  if (typeof v === 'number') return Number.isInteger(v) ? 1 + varint64Size(v) : 9;
  if (typeof v === 'boolean') return 2;
  let inner = 0;
  for (const s of v) inner += 1 + varintSize(strField(s)) + strField(s);
  return 1 + varintSize(inner) + inner;
}

function varintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n >>>= 7;
    size += 1;
  }
  return size;
}

function varint64Size(n: number): number {
  if (n < 0) return 10;
  let size = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    size += 1;
  }
  return size;
}

function varintBytes(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
