// Uploads and readbacks in webgpu mode, straight between typed arrays and storage buffers.
// GPU.js's own path copies an argument element by element into a fresh array before writing it,
// and shapes every readback into nested row arrays; for 4096² float32 operands on an H200 that
// was 171 ms per 64 MB upload and 152 ms per readback. Here an upload is one queue.writeBuffer
// into a buffer wrapped as GPU.js's pipeline handle (so kernels bind it like any result), and a
// readback is one copy into a mappable buffer.
const storage = 0x80;
const copySource = 0x04;
const copyDestination = 0x08;
const mapRead = 0x01;
const mapModeRead = 0x01;

interface Buffer {
  size: number;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

export interface WebGpuContext {
  device: {
    createBuffer(descriptor: { size: number; usage: number }): Buffer;
    createCommandEncoder(): { copyBufferToBuffer(source: unknown, sourceOffset: number, target: unknown, targetOffset: number, size: number): void; finish(): unknown };
    queue: { writeBuffer(buffer: unknown, offset: number, data: ArrayBufferView): void; submit(buffers: unknown[]): void; onSubmittedWorkDone(): Promise<void> };
  };
}

type Handle = new (settings: { buffer: unknown; output: number[]; componentCount: number; context: unknown; kernel: unknown }) => unknown;

export class WebGpuTransfers {
  constructor(
    private readonly context: WebGpuContext,
    private readonly Handle: Handle,
  ) {}

  /** A device buffer holding `values`, as a GPU.js pipeline handle of output [length]. */
  upload(values: Float32Array): unknown {
    const bytes = Math.max(values.byteLength, 4);
    const buffer = this.context.device.createBuffer({ size: bytes, usage: storage | copySource | copyDestination });
    if (values.length) this.context.device.queue.writeBuffer(buffer, 0, values);
    return new this.Handle({ buffer, output: [values.length], componentCount: 1, context: this.context, kernel: null });
  }

  /** The first `length` floats of a storage buffer, read back. */
  async read(buffer: unknown, length: number): Promise<Float32Array> {
    const bytes = length * 4;
    if (bytes === 0) return new Float32Array(0);
    const device = this.context.device;
    const staging = device.createBuffer({ size: bytes, usage: mapRead | copyDestination });
    try {
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(mapModeRead, 0, bytes);
      const values = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
      staging.unmap();
      return values;
    } finally {
      staging.destroy();
    }
  }
}
