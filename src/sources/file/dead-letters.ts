import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DeadLetterReason } from '../types.js';

/** One dead letter of the file source: the line, where it was, and why. */
export interface FileDeadLetter {
  readonly path: string;
  readonly offset: number;
  readonly line: string;
  readonly reason: DeadLetterReason;
}

/**
 * The file source's dead-letter queue: a JSON-lines file in the data directory. Appended
 * synchronously before the line's offset may be committed, so a dead letter is never lost to a
 * crash (it may be written twice, like a redelivered message).
 */
export class DeadLetterFile {
  readonly file: string | undefined;

  constructor(dataDir: string, sourceName: string) {
    this.file = dataDir !== '' ? join(dataDir, `${sourceName.replace(/[^A-Za-z0-9_-]/g, '_')}-dead-letters.jsonl`) : undefined;
    if (dataDir !== '') mkdirSync(dataDir, { recursive: true });
  }

  /** False when it could not be written (the line is then re-read later, not committed). */
  write(d: FileDeadLetter): boolean {
    const doc = { time: new Date().toISOString(), path: d.path, offset: d.offset, reason: d.reason.code, message: d.reason.message, line: d.line };
    if (this.file === undefined) {
      // No data directory: stderr is the only place left; the line is still counted.
      process.stderr.write(`${JSON.stringify({ deadLetter: doc })}\n`);
      return true;
    }
    try {
      appendFileSync(this.file, `${JSON.stringify(doc)}\n`);
      return true;
    } catch {
      return false;
    }
  }
}
