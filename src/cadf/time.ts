/** [seconds, nanoseconds] since the epoch: the OpenTelemetry HrTime shape, exact to the microsecond. */
export type HrTime = [number, number];

// pycadf `2026-11-23T00:04:07.573452+0000`, oslo `2026-11-23 00:04:07.573792` (naive UTC),
// ceilometermiddleware naive isoformat, and the docs' `+00:00` / `Z`.
const TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Parses the timestamp forms OpenStack emits; a missing zone means UTC. Undefined when invalid. */
export function parseTime(text: string): HrTime | undefined {
  const m = TIME_RE.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return undefined;
  }
  let ms = Date.UTC(Number(y), month - 1, day, hour, minute, second);
  if (Number.isNaN(ms)) return undefined;
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offH = Number(digits.slice(0, 2));
    const offM = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (offH > 23 || offM > 59) return undefined;
    ms -= sign * (offH * 60 + offM) * 60_000;
  }
  const nanos = frac === undefined ? 0 : Number(frac.padEnd(9, '0'));
  return [ms / 1000, nanos];
}

/** ISO 8601 UTC with the fraction kept to the microsecond (`2026-11-23T00:04:07.573452Z`). */
export function formatTime(t: HrTime): string {
  const iso = new Date(t[0] * 1000).toISOString(); // whole seconds: ends in `.000Z`
  const micros = Math.floor(t[1] / 1000)
    .toString()
    .padStart(6, '0');
  return `${iso.slice(0, 19)}.${micros}Z`;
}

/**
 * OTLP carries times as fixed64 nanoseconds since the epoch: 0 to 2^64 - 1 ns, that is 1970-01-01
 * to 2554-07-21. A time outside that cannot be sent as it is.
 */
const OTLP_MAX_SECONDS = 18_446_744_073;

export function otlpRepresentable(t: HrTime): boolean {
  return t[0] >= 0 && t[0] < OTLP_MAX_SECONDS && Number.isFinite(t[0]);
}

/** Seconds between two times (b - a), as a float. */
export function secondsBetween(a: HrTime, b: HrTime): number {
  return b[0] - a[0] + (b[1] - a[1]) / 1e9;
}
