// Writing output that may be larger than one string (a million-route plan as JSON): the pieces of
// src/render/json-pieces.ts, in chunks of 64 KiB, to a stream with backpressure (a chunk waits for
// 'drain' when the stream's buffer is full, so a slow reader never makes podnet hold the whole
// text) or to a file.
import { closeSync, openSync, writeSync } from 'node:fs';
import { chunked } from '../render/json-pieces.js';

/** Writes every piece to `stream`, waiting for 'drain' whenever its buffer is full. Stops early if the stream fails or closes. */
export async function writePieces(stream: NodeJS.WritableStream, pieces: Iterable<string>): Promise<void> {
  let broken = false;
  const onBroken = (): void => {
    broken = true;
  };
  stream.once('error', onBroken);
  stream.once('close', onBroken);
  try {
    for (const chunk of chunked(pieces)) {
      if (broken) return;
      if (stream.write(chunk)) continue;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('drain', done);
          stream.off('error', done);
          stream.off('close', done);
          resolve();
        };
        stream.on('drain', done);
        stream.on('error', done);
        stream.on('close', done);
      });
    }
  } finally {
    stream.off('error', onBroken);
    stream.off('close', onBroken);
  }
}

/** Writes every piece to the file at `path` (created or truncated). */
export function writePiecesToFile(path: string, pieces: Iterable<string>): void {
  const fd = openSync(path, 'w');
  try {
    for (const chunk of chunked(pieces)) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}
