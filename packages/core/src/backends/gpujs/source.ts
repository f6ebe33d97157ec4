// Source generation for GPU.js kernels. GPU.js compiles one JavaScript function to a shader that
// computes one output cell per thread; every shape-dependent number (dims, strides, loop bounds)
// is written into the source as a literal, so loops have constant bounds and each distinct shape
// compiles its own kernel (cached by source in the backend).
//
// An output of shape [..., d2, d1, d0] runs on GPU.js's output [d0, d1, rest]: thread.x and
// thread.y are the last two coordinates and the leading ones are decomposed from thread.z. Where
// d0 is too wide for a 2D texture row it runs on [d0, 1, d1·rest] instead.
import { TensorzooError } from '../../errors.js';
import { sizeOf, stridesOf, type Shape } from '../../shape.js';

/** Widest texture row a layout puts one tensor row in (GL's MAX_TEXTURE_SIZE is ≥ 4096 everywhere). */
const maxRowWidth = 4096;
/** Index math runs in float32: integers to 2^24 are exact, and `floor((i + 0.5) / d)` is exact below 2^22. */
const maxDecomposed = 1 << 22;

export interface Layout {
  /** GPU.js output dims. */
  output: number[];
  /** Statements defining `c0 … c{rank-1}`, the output coordinates of this thread. */
  coordinates: string;
  rank: number;
}

/** A literal GPU.js reads as a float. */
export function float(value: number): string {
  if (Number.isNaN(value)) throw new TensorzooError('gpujs backend: NaN cannot be written as a kernel literal');
  if (!Number.isFinite(value)) return value > 0 ? '3.402823466e38' : '-3.402823466e38';
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

export function layoutOf(shape: Shape): Layout {
  const rank = shape.length;
  if (rank === 0) return { output: [1], coordinates: '', rank };
  const d0 = shape[rank - 1]!;
  if (rank === 1) return { output: [d0], coordinates: 'const c0 = this.thread.x;\n', rank };
  const d1 = shape[rank - 2]!;
  const rest = sizeOf(shape.slice(0, -2));
  const lines = [`const c${rank - 1} = this.thread.x;`];
  let output: number[];
  let restExpression: string;
  if (rest === 1 && d1 > 1 && d0 > maxRowWidth) {
    // One tall 2D texture would be too wide: fold rows into thread.z instead.
    output = [d0, 1, d1];
    lines.push(`const c${rank - 2} = this.thread.z;`);
    restExpression = '0';
  } else {
    output = [d0, d1, rest];
    lines.push(`const c${rank - 2} = this.thread.y;`);
    restExpression = 'this.thread.z';
  }
  if (rank >= 3) {
    if (rest > maxDecomposed) throw new TensorzooError(`gpujs backend: ${rest} leading rows exceed the ${maxDecomposed} that float32 index math handles exactly`);
    lines.push(`let rest = ${restExpression};`);
    for (let axis = rank - 3; axis >= 1; axis--) {
      const dim = shape[axis]!;
      lines.push(`const q${axis} = Math.floor((rest + 0.5) / ${float(dim)});`, `const c${axis} = rest - q${axis} * ${float(dim)};`, `rest = q${axis};`);
    }
    lines.push('const c0 = rest;');
  }
  return { output, coordinates: lines.join('\n') + '\n', rank };
}

/** Σ c_i·stride_i for an input whose element strides (0 on broadcast axes) are given per output axis. */
export function offsetExpression(strides: readonly number[], base = 0): string {
  const terms = strides.flatMap((stride, axis) => (stride === 0 ? [] : [stride === 1 ? `c${axis}` : `c${axis} * ${float(stride)}`]));
  if (base !== 0) terms.unshift(float(base));
  return terms.length ? terms.join(' + ') : '0';
}

/** Strides of `inShape` aligned to `outShape` (right-aligned, 0 where the input broadcasts). */
export function broadcastStrides(inShape: Shape, outShape: Shape): number[] {
  const inStrides = stridesOf(inShape);
  const offset = outShape.length - inShape.length;
  return outShape.map((_, axis) => {
    const inAxis = axis - offset;
    if (inAxis < 0 || inShape[inAxis] === 1) return 0;
    return inStrides[inAxis]!;
  });
}

/** `function kernel(<args>) { <body> }`, the form GPU.js compiles. */
export function kernelSource(args: readonly string[], body: string): string {
  return `function kernel(${args.join(', ')}) {\n${body}}`;
}
