// The SentencePiece C++ library compiled to WebAssembly (`@sctg/sentencepiece-js`, a dev
// dependency), used only as the reference in differential tests.
//
// Its `encodeIds(text)` converts a JavaScript string with emscripten's `stringToUTF8`, which
// mishandles lone surrogates (it pairs them with the next code unit), so the tests always hand it
// UTF-8 bytes instead: embind's std::string conversion accepts a Uint8Array unchanged.
import { SentencePieceProcessor as WasmProcessor } from '@sctg/sentencepiece-js';

export interface ReferenceProcessor {
  encodeIds(text: Uint8Array): number[];
  encodePieces(text: Uint8Array): string[];
  decodeIds(ids: readonly number[]): string;
}

export async function loadReferenceProcessor(modelBytes: Uint8Array): Promise<ReferenceProcessor> {
  const processor = new WasmProcessor();
  await processor.loadFromB64StringModel(Buffer.from(modelBytes).toString('base64'));
  return {
    encodeIds: (text) => processor.encodeIds(text as unknown as string),
    encodePieces: (text) => processor.encodePieces(text as unknown as string),
    decodeIds: (ids) => processor.decodeIds(Int32Array.from(ids)) as string,
  };
}
