// Progress bars on stderr (stdout carries only results). Redrawn in place on a TTY; on a pipe, one
// line per 10% so logs stay readable.

export interface ProgressEvent {
  /** What is progressing, e.g. a file name or 'loading weights'. */
  label: string;
  loaded: number;
  total: number;
  unit?: 'bytes' | 'items';
}

export class ProgressBar {
  private lastBucket = new Map<string, number>();
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;

  constructor(stream: NodeJS.WriteStream = process.stderr, enabled = true) {
    this.stream = stream;
    this.enabled = enabled;
  }

  update(event: ProgressEvent): void {
    if (!this.enabled || event.total <= 0) return;
    const fraction = Math.min(1, event.loaded / event.total);
    const width = 24;
    const filled = Math.round(fraction * width);
    const amount = event.unit === 'bytes' ? `${formatBytes(event.loaded)}/${formatBytes(event.total)}` : `${event.loaded}/${event.total}`;
    const line = `${event.label.padEnd(28).slice(0, 28)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${amount}`;
    if (this.stream.isTTY) {
      this.stream.write(`\r${line}`);
      if (fraction >= 1) this.stream.write('\n');
      return;
    }
    const bucket = Math.floor(fraction * 10);
    if (this.lastBucket.get(event.label) === bucket) return;
    this.lastBucket.set(event.label, bucket);
    this.stream.write(`${line}\n`);
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
