import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { decode, formatTime, metricsOf, toRecord } from '../cadf/index.js';
import type { Attributes, DecodeError, MetricSample, SourceMeta } from '../cadf/index.js';
import { UsageError, type CommandIO } from './io.js';

export const INSPECT_USAGE = `Usage: cadf-exporter inspect [--lines] [--exchange NAME] [--pretty] [FILE...]

Decodes AMQP message bodies (oslo v1/v2 notifications) offline and prints, per message, one JSON
object: the OpenTelemetry log record and metric updates, or the decode error.
  FILE           a file holding one message body; "-" or none reads stdin
  --lines        each line of the input is one body
  --exchange N   the AMQP exchange the bodies came from (a hint for the API service name)
  --pretty       indent the JSON
Exit status: 0 every message decoded, 1 some did not, 2 usage error.`;

/** What `inspect` prints for one message. */
export type InspectOutput =
  | {
      source: string;
      eventName: string;
      timestamp: string | null;
      severityText: string;
      severityNumber: number;
      body: string;
      attributes: Attributes;
      metrics: MetricSample[];
    }
  | { source: string; error: DecodeError };

export function inspectMessage(source: string, body: Uint8Array, meta?: SourceMeta): InspectOutput {
  const d = decode(body, meta);
  if (!d.ok) return { source, error: d.error };
  const r = toRecord(d.event);
  return {
    source,
    eventName: r.eventName,
    timestamp: r.timestamp === undefined ? null : formatTime(r.timestamp),
    severityText: r.severityText,
    severityNumber: r.severityNumber,
    body: r.body,
    attributes: r.attributes,
    metrics: metricsOf(d.event),
  };
}

export async function inspectCommand(args: string[], io: CommandIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        lines: { type: 'boolean', default: false },
        exchange: { type: 'string' },
        pretty: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${INSPECT_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${INSPECT_USAGE}\n`);
    return 0;
  }
  const meta: SourceMeta | undefined =
    values.exchange !== undefined ? { exchange: values.exchange } : undefined;
  const files = positionals.length === 0 ? ['-'] : positionals;
  let failed = false;
  for (const file of files) {
    const name = file === '-' ? 'stdin' : file;
    let data: Buffer;
    try {
      data = file === '-' ? await io.readStdin() : await readFile(file);
    } catch (err) {
      throw new UsageError(`cannot read ${name}: ${(err as Error).message}`);
    }
    const bodies = values.lines ? splitLines(data) : [{ body: data, line: 0 }];
    for (const { body, line } of bodies) {
      const out = inspectMessage(values.lines ? `${name}:${line}` : name, body, meta);
      if ('error' in out) failed = true;
      io.stdout(`${JSON.stringify(out, null, values.pretty ? 2 : undefined)}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** Non-empty lines, numbered from 1, as raw bytes (so invalid UTF-8 is reported, not repaired). */
function splitLines(data: Buffer): Array<{ body: Buffer; line: number }> {
  const out: Array<{ body: Buffer; line: number }> = [];
  let start = 0;
  let line = 1;
  while (start <= data.length) {
    let end = data.indexOf(0x0a, start);
    if (end < 0) end = data.length;
    let stop = end;
    if (stop > start && data[stop - 1] === 0x0d) stop -= 1;
    if (stop > start) out.push({ body: data.subarray(start, stop), line });
    start = end + 1;
    line += 1;
  }
  return out;
}
