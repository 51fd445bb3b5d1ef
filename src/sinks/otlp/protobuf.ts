import type { AttributeValue, Attributes, HrTime, LogRecordData } from '../../cadf/index.js';

/** A batch of records with the time each was received. */
export interface RecordBatch {
  readonly records: readonly LogRecordData[];
  readonly observed: readonly HrTime[];
  /** The log-store tenant of every record of the batch (sent as the tenant header), if routed. */
  readonly tenant?: string;
}

/**
 * A batch of records encoded one by one when they were built (LogsProtobufEncoder.encodeRecord):
 * a message in flight then holds its record's bytes, off the V8 heap, rather than the record's
 * objects, which would otherwise outlive young-generation collections while the export takes
 * (docs/performance.md). Bisection splits it as it splits records.
 */
export interface EncodedBatch {
  readonly encoded: readonly Uint8Array[];
  readonly tenant?: string;
}

const TWO_32 = 2 ** 32;
const MAX_TIME_SECONDS = 18_446_744_073; // fixed64 nanoseconds end in 2554

/**
 * A value the encoder cannot put on the wire as OpenTelemetry's serializer would (a time outside
 * fixed64, an integer beyond 2^53). Permanent for the record that holds it: the export loop finds
 * that record by bisection and dead-letters it, the rest of the batch goes on.
 */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
}
/** Room left before the records for the two batch-level headers (tags and varint lengths). */
const HEADROOM = 16;

/**
 * OTLP ExportLogsServiceRequest protobuf encoder for our records: one resource, one scope, string,
 * bool, number and string-array attributes. It writes what OpenTelemetry's ProtobufLogsSerializer
 * writes for the same records (test/sinks/otlp/protobuf.test.ts decodes both and compares), for
 * a fraction of the CPU (docs/performance.md): one pass into one reused buffer, attribute keys
 * encoded once, each length reserved as one byte and widened only when the field is 128 bytes or
 * more, and the batch headers written last, in front of the records.
 */
export class LogsProtobufEncoder {
  private readonly keys = new Map<string, Buffer>();
  private readonly resourceField: Buffer;
  private readonly scopeField: Buffer;
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;

  constructor(resource: Attributes, scope: { name: string; version?: string }) {
    // ResourceLogs.resource (field 1): Resource { repeated KeyValue attributes = 1 }.
    this.resourceField = this.scratch(() => {
      this.tag(1, 2);
      const at = this.lenStart();
      this.attributes(resource, 1);
      this.lenEnd(at);
    });
    // ScopeLogs.scope (field 1): InstrumentationScope { name = 1; version = 2 }.
    this.scopeField = this.scratch(() => {
      this.tag(1, 2);
      const at = this.lenStart();
      this.stringField(1, scope.name);
      if (scope.version) this.stringField(2, scope.version);
      this.lenEnd(at);
    });
  }

  encode(batch: RecordBatch | EncodedBatch): Uint8Array {
    const start = HEADROOM + this.resourceField.length;
    this.pos = start;
    this.raw(this.scopeField);
    if ('encoded' in batch) {
      for (const e of batch.encoded) this.raw(e);
    } else {
      const { records, observed } = batch;
      for (let i = 0; i < records.length; i++) this.record(records[i]!, observed[i]!);
    }
    const end = this.pos;
    // ExportLogsServiceRequest.resource_logs = ResourceLogs { resource; scope_logs = 2 }.
    const scopeLogs = end - start;
    const resourceLogs = this.resourceField.length + 1 + varintSize(scopeLogs) + scopeLogs;
    let at = start - (1 + varintSize(resourceLogs) + this.resourceField.length + 1 + varintSize(scopeLogs));
    const first = at;
    this.buf[at++] = 0x0a;
    at = this.varintAt(at, resourceLogs);
    this.resourceField.copy(this.buf, at);
    at += this.resourceField.length;
    this.buf[at++] = 0x12;
    this.varintAt(at, scopeLogs);
    return Uint8Array.prototype.slice.call(this.buf, first, end);
  }

  /**
   * One record as the bytes encode() writes for it (the ScopeLogs.log_records field), for an
   * EncodedBatch. Throws EncodeError as encode() would.
   */
  encodeRecord(r: LogRecordData, observed: HrTime): Uint8Array {
    this.pos = 0;
    this.record(r, observed);
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private record(r: LogRecordData, observed: HrTime): void {
    this.tag(2, 2); // ScopeLogs.log_records
    const at = this.lenStart();
    this.ensure(32);
    this.tag(1, 1);
    this.fixed64Time(r.timestamp ?? observed);
    this.tag(2, 0);
    this.varint(r.severityNumber);
    if (r.severityText !== '') this.stringField(3, r.severityText);
    this.tag(5, 2); // body: AnyValue { string_value = 1 }
    const body = this.lenStart();
    this.stringField(1, r.body);
    this.lenEnd(body);
    this.attributes(r.attributes, 6);
    this.ensure(32);
    this.tag(7, 0); // dropped_attributes_count
    this.varint(0);
    this.tag(11, 1);
    this.fixed64Time(observed);
    if (r.eventName !== '') this.stringField(12, r.eventName);
    this.lenEnd(at);
  }

  private attributes(attrs: Attributes, field: number): void {
    for (const k in attrs) {
      const key = this.key(k);
      const v = attrs[k]!;
      this.ensure(key.length + 16);
      this.tag(field, 2); // KeyValue
      const kv = this.lenStart();
      this.raw(key);
      this.tag(2, 2); // KeyValue.value: AnyValue
      const value = this.lenStart();
      this.anyValue(v);
      this.lenEnd(value);
      this.lenEnd(kv);
    }
  }

  private anyValue(v: AttributeValue): void {
    if (typeof v === 'string') {
      this.stringField(1, v);
    } else if (typeof v === 'number') {
      this.ensure(16);
      if (Number.isInteger(v)) {
        if (!Number.isSafeInteger(v)) throw new EncodeError(`integer attribute value ${v} is beyond 2^53`);
        this.tag(3, 0);
        this.varint64(v);
      } else {
        this.tag(4, 1);
        this.buf.writeDoubleLE(v, this.pos);
        this.pos += 8;
      }
    } else if (typeof v === 'boolean') {
      this.ensure(2);
      this.tag(2, 0);
      this.varint(v ? 1 : 0);
    } else {
      this.ensure(2);
      this.tag(5, 2); // ArrayValue { repeated AnyValue values = 1 }
      const arr = this.lenStart();
      for (const s of v) {
        this.ensure(2);
        this.tag(1, 2);
        const item = this.lenStart();
        this.stringField(1, s);
        this.lenEnd(item);
      }
      this.lenEnd(arr);
    }
  }

  /** `KeyValue.key` (field 1) with its tag and length, encoded once per distinct key. */
  private key(k: string): Buffer {
    let b = this.keys.get(k);
    if (b === undefined) {
      const bytes = Buffer.from(k, 'utf8');
      b = Buffer.concat([Buffer.from([0x0a]), Buffer.from(varintBytes(bytes.length)), bytes]);
      this.keys.set(k, b);
    }
    return b;
  }

  private stringField(field: number, s: string): void {
    this.ensure(s.length * 3 + 12);
    this.tag(field, 2);
    const at = this.lenStart();
    this.pos = s.length <= 64 ? this.shortString(s, this.pos) : this.pos + this.buf.write(s, this.pos, 'utf8');
    this.lenEnd(at);
  }

  /** Most values are short ASCII (ids, names, codes): a JS loop beats a native call for those. */
  private shortString(s: string, at: number): number {
    const buf = this.buf;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return at - i + buf.write(s, at - i, 'utf8');
      buf[at++] = c;
    }
    return at;
  }

  /** Reserves one byte for a length; lenEnd() fills it in (widening it if need be). */
  private lenStart(): number {
    this.ensure(1);
    return this.pos++;
  }

  private lenEnd(at: number): void {
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return;
    }
    const extra = varintSize(len) - 1;
    this.ensure(extra);
    this.buf.copyWithin(at + 1 + extra, at + 1, this.pos);
    this.pos += extra;
    this.varintAt(at, len);
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  private varint(n: number): void {
    this.pos = this.varintAt(this.pos, n);
  }

  private varintAt(at: number, n: number): number {
    while (n > 0x7f) {
      this.buf[at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[at++] = n;
    return at;
  }

  /** int64 varint (two's complement: a negative number takes 10 bytes). */
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

  private raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** fixed64 nanoseconds, computed without leaving the safe-integer range. */
  private fixed64Time(t: HrTime): void {
    const sec = t[0];
    if (!(sec >= 0 && sec < MAX_TIME_SECONDS) || !(t[1] >= 0 && t[1] < 1e9)) {
      throw new EncodeError(`time [${t[0]}, ${t[1]}] is outside what OTLP's fixed64 nanoseconds hold`);
    }
    const lo16 = sec % 65536;
    const hi = (sec - lo16) / 65536;
    const b = hi * 1e9;
    const x = (b % 65536) * 65536 + lo16 * 1e9 + t[1];
    this.buf.writeUInt32LE(x % TWO_32, this.pos);
    this.buf.writeUInt32LE(Math.floor(b / 65536) + Math.floor(x / TWO_32), this.pos + 4);
    this.pos += 8;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 1024));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** Runs a write at the start of the buffer and returns a copy of what it wrote. */
  private scratch(write: () => void): Buffer {
    this.pos = 0;
    write();
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

function varintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n >>>= 7;
    size += 1;
  }
  return size;
}

function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
