/**
 * Run progress on stderr: a redrawn bar on a terminal, a log line every
 * `logEveryMs` (and at the end) otherwise, so CI logs and pipes stay readable.
 */
import type { RunProgress } from './run.ts';

export function progressReporter(stream: NodeJS.WriteStream = process.stderr, logEveryMs = 2_000): (p: RunProgress) => void {
  const startedMs = Date.now();
  let lastLogMs = 0;
  return (p) => {
    const fraction = p.total === 0 ? 1 : p.done / p.total;
    const elapsedS = (Date.now() - startedMs) / 1000;
    const rate = elapsedS > 0 ? Math.round((p.done / elapsedS) * 60) : 0;
    const text = `${p.done}/${p.total} customers, ${p.created} created, ${p.failed} failed, ${rate}/min`;
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${text}`);
      if (p.done === p.total) stream.write('\n');
      return;
    }
    const now = Date.now();
    if (now - lastLogMs >= logEveryMs || p.done === p.total) {
      lastLogMs = now;
      stream.write(`invoice run: ${Math.floor(fraction * 100)}% ${text}\n`);
    }
  };
}
