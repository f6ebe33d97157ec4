// An X display for headless-gl. When DISPLAY is unset and Xvfb is installed, starts a private Xvfb
// (Mesa's software GL behind it) that picks a free display number itself (-displayfd), so tests
// that run beside each other never collide; `stop` ends exactly that process.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Display {
  name: string;
  stop(): void;
}

export async function ensureDisplay(): Promise<Display | null> {
  if (process.env.DISPLAY) return { name: process.env.DISPLAY, stop: () => undefined };
  let child: ChildProcess;
  try {
    child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '64x64x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
  const number = await new Promise<string | null>((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve(null), 20_000);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.stdio[3]!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(text.trim());
      }
    });
  });
  if (number === null) {
    child.kill();
    return null;
  }
  const name = `:${number}`;
  process.env.DISPLAY = name;
  // Also ended when this process exits without reaching `stop` (a worker torn down early).
  const end = () => child.kill();
  process.once('exit', end);
  return {
    name,
    stop() {
      delete process.env.DISPLAY;
      process.off('exit', end);
      child.kill();
    },
  };
}
