import { Counter, Gauge, type Registry } from 'prom-client';

/** What the metrics read from a file source when scraped. */
export interface FileStats {
  files(): number;
  /** Per file: bytes between its checkpoint and its end (what is not yet exported). */
  lag(): ReadonlyArray<{ readonly path: string; readonly bytes: number }>;
}

/** Names, help and labels of the file source's series (docs/metrics.md is checked against them). */
export const FILE_METRICS = {
  watched: { name: 'cadf_exporter_file_watched', help: 'Files the file source is reading (matched by the paths, or rotated away and being finished).', labelNames: ['source'] },
  lag: { name: 'cadf_exporter_file_lag_bytes', help: "Bytes of a file after its checkpoint: written by the service, not yet exported (the file's lag).", labelNames: ['source', 'path'] },
  bytes: { name: 'cadf_exporter_file_read_bytes_total', help: 'Bytes read from log files.', labelNames: ['source'] },
  lines: { name: 'cadf_exporter_file_read_lines_total', help: 'Complete lines read from log files.', labelNames: ['source'] },
  skipped: { name: 'cadf_exporter_file_skipped_lines_total', help: 'Lines that are not notifications (the rest of the service log), skipped: not an error.', labelNames: ['source'] },
} as const;

/** The file source's own series, labelled by source name like the broker ones. */
export class FileMetrics {
  private readonly bytes: Counter<'source'>;
  private readonly lines: Counter<'source'>;
  private readonly skipped: Counter<'source'>;

  constructor(
    registry: Registry,
    private readonly source: string,
    stats: FileStats,
  ) {
    const m = FILE_METRICS;
    new Gauge({
      ...m.watched,
      labelNames: [...m.watched.labelNames],
      registers: [registry],
      collect() {
        this.set({ source }, stats.files());
      },
    });
    new Gauge({
      ...m.lag,
      labelNames: [...m.lag.labelNames],
      registers: [registry],
      collect() {
        this.reset();
        for (const f of stats.lag()) this.set({ source, path: f.path }, f.bytes);
      },
    });
    this.bytes = new Counter({ ...m.bytes, labelNames: [...m.bytes.labelNames], registers: [registry] });
    this.lines = new Counter({ ...m.lines, labelNames: [...m.lines.labelNames], registers: [registry] });
    this.skipped = new Counter({ ...m.skipped, labelNames: [...m.skipped.labelNames], registers: [registry] });
    this.bytes.inc({ source }, 0);
    this.lines.inc({ source }, 0);
    this.skipped.inc({ source }, 0);
  }

  read(bytes: number, lines: number): void {
    this.bytes.inc({ source: this.source }, bytes);
    this.lines.inc({ source: this.source }, lines);
  }

  skippedLine(): void {
    this.skipped.inc({ source: this.source });
  }
}
