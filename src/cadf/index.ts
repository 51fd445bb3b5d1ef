export { decode, type DecodeResult } from './decode.js';
export { DECODE_ERROR_CODES, type DecodeError, type DecodeErrorCode } from './errors.js';
export type { AuditEvent, Ref, SourceMeta } from './event.js';
export { toRecord, type LogRecordData } from './record.js';
export { metricsOf, EVENT_METRICS, type MetricSample } from './metrics.js';
export { formatTime, type HrTime } from './time.js';
export { ATTR, type Attributes, type AttributeValue } from './attributes.js';
