// A minimal reader for the protocol buffers wire format (proto2), enough to parse SentencePiece's
// `ModelProto` without a runtime dependency. Wire format reference: protobuf.dev "Encoding"
// (varints, the four wire types used by proto2, and start/end groups for skipping).
//
// Every failure is a `TensorzooError` that says which message and field were being read, the byte
// offset, what was expected and what was found, so that a truncated or corrupt `.spm` file gives a
// useful message instead of garbage pieces.

import { TensorzooError } from '@tensorzoo/core';

export const WireType = {
  varint: 0,
  fixed64: 1,
  lengthDelimited: 2,
  startGroup: 3,
  endGroup: 4,
  fixed32: 5,
} as const;

/** One decoded field key: the field number and its wire type. */
export interface FieldKey {
  readonly fieldNumber: number;
  readonly wireType: number;
}

const utf8Decoder = new TextDecoder('utf-8');

export class ProtobufReader {
  private position: number;
  private view: DataView | null;

  /**
   * @param bytes the whole buffer
   * @param start first byte of the message
   * @param end one past the last byte of the message
   * @param messageName used in error messages ("ModelProto.SentencePiece", ...)
   */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly end: number,
    private readonly messageName: string,
    view: DataView | null = null,
  ) {
    this.position = start;
    this.view = view;
  }

  /** Created on first use and shared with embedded-message readers (a model has many pieces). */
  private dataView(): DataView {
    this.view ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    return this.view;
  }

  get offset(): number {
    return this.position;
  }

  hasMore(): boolean {
    return this.position < this.end;
  }

  fail(expected: string, received: string, at: number = this.position): never {
    throw new TensorzooError(
      `SentencePiece model proto is corrupt: while reading ${this.messageName} at byte ${at}, expected ${expected}, received ${received}`,
    );
  }

  readKey(): FieldKey {
    const at = this.position;
    const { low, high } = this.readVarint64Parts('a field key');
    const key = high === 0 ? low >>> 0 : -1;
    const fieldNumber = key >>> 3;
    const wireType = key & 7;
    if (key < 0 || fieldNumber === 0 || wireType > 5) {
      this.fail('a field key with a field number >= 1 and a wire type 0-5', `key ${high}:${low >>> 0}`, at);
    }
    return { fieldNumber, wireType };
  }

  /** Reads a varint as two unsigned 32-bit halves (no BigInt on the hot path). */
  private readVarint64Parts(what: string): { low: number; high: number } {
    let low = 0;
    let high = 0;
    const begin = this.position;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.position >= this.end) {
        this.fail(`${what} (a varint)`, `the end of the data after ${this.position - begin} byte(s); the file is truncated`, begin);
      }
      const byte = this.bytes[this.position++]!;
      const payload = byte & 0x7f;
      if (shift < 28) {
        low |= payload << shift;
      } else if (shift === 28) {
        low |= (payload & 0x0f) << 28;
        high |= payload >>> 4;
      } else {
        high |= payload << (shift - 32);
      }
      if ((byte & 0x80) === 0) return { low: low >>> 0, high: high >>> 0 };
      if (shift === 63) break;
    }
    return this.fail(`${what} (a varint of at most 10 bytes)`, 'a longer byte sequence', begin);
  }

  /** proto `int32`: the low 32 bits of the varint, as a signed number. */
  readInt32(): number {
    return this.readVarint64Parts('an int32').low | 0;
  }

  /** proto `uint64` / `int64` read as a JavaScript number (exact up to 2^53). */
  readUint64(): number {
    const { low, high } = this.readVarint64Parts('a 64-bit integer');
    return high * 4294967296 + low;
  }

  readBool(): boolean {
    const { low, high } = this.readVarint64Parts('a bool');
    return low !== 0 || high !== 0;
  }

  /** proto `float` (wire type 5, little-endian IEEE 754 single precision). */
  readFloat(): number {
    if (this.position + 4 > this.end) {
      this.fail('a 4-byte float', `${this.end - this.position} byte(s) left; the file is truncated`);
    }
    const value = this.dataView().getFloat32(this.position, true);
    this.position += 4;
    return value;
  }

  /** Returns the [start, end) range of a length-delimited field's payload and skips over it. */
  readLengthDelimited(): { start: number; end: number } {
    const at = this.position;
    const { low, high } = this.readVarint64Parts('a length prefix');
    const length = high * 4294967296 + low;
    const start = this.position;
    if (length > this.end - start) {
      this.fail(
        `a length-delimited field of ${length} byte(s)`,
        `only ${this.end - start} byte(s) left in the enclosing message; the file is truncated or not a SentencePiece model`,
        at,
      );
    }
    this.position = start + length;
    return { start, end: this.position };
  }

  readBytes(): Uint8Array {
    const { start, end } = this.readLengthDelimited();
    return this.bytes.slice(start, end);
  }

  /** proto2 `string`: not validated as UTF-8 by the lite runtime; malformed bytes become U+FFFD here. */
  readString(): string {
    const { start, end } = this.readLengthDelimited();
    return utf8Decoder.decode(this.bytes.subarray(start, end));
  }

  /** A reader over an embedded message's payload. */
  readMessage(messageName: string): ProtobufReader {
    const { start, end } = this.readLengthDelimited();
    return new ProtobufReader(this.bytes, start, end, messageName, this.dataView());
  }

  /** Skips a field the caller does not use (unknown fields, extensions, mismatched wire types). */
  skipField(key: FieldKey): void {
    switch (key.wireType) {
      case WireType.varint:
        this.readVarint64Parts('an unknown varint field');
        return;
      case WireType.fixed64:
        this.skipFixed(8);
        return;
      case WireType.lengthDelimited:
        this.readLengthDelimited();
        return;
      case WireType.fixed32:
        this.skipFixed(4);
        return;
      case WireType.startGroup:
        this.skipGroup(key.fieldNumber);
        return;
      default:
        this.fail('a field (not an end-group marker without its start)', `wire type ${key.wireType} for field ${key.fieldNumber}`);
    }
  }

  private skipFixed(size: number): void {
    if (this.position + size > this.end) {
      this.fail(`a ${size}-byte fixed-width field`, `${this.end - this.position} byte(s) left; the file is truncated`);
    }
    this.position += size;
  }

  private skipGroup(fieldNumber: number): void {
    const at = this.position;
    for (;;) {
      if (!this.hasMore()) this.fail(`the end-group marker of group field ${fieldNumber}`, 'the end of the data', at);
      const inner = this.readKey();
      if (inner.wireType === WireType.endGroup) {
        if (inner.fieldNumber !== fieldNumber) {
          this.fail(`the end-group marker of field ${fieldNumber}`, `the end-group marker of field ${inner.fieldNumber}`);
        }
        return;
      }
      this.skipField(inner);
    }
  }
}
