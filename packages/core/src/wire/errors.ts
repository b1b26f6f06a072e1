/**
 * wire/errors.ts: `CodecError`, the one error every decoder and encoder of `wire/` throws
 * (CO-2): malformed or unencodable input never surfaces as anything else.
 */
import { ProcmeshError } from '../errors.js';

/**
 * `deserialize`: malformed bytes (CO-2); `serialize`: msgpackr could not encode a value;
 * `unsendable`: a value outside the sending contract (SC-2, sendable.ts); `invalid-codec`: a
 * `registerCodec` call with a bad or taken tag.
 */
export type CodecErrorCode = 'deserialize' | 'serialize' | 'unsendable' | 'invalid-codec';

export class CodecError extends ProcmeshError {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
