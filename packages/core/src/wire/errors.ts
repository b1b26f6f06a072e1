/**
 * wire/errors.ts: `CodecError`, the one error every decoder and encoder of `wire/` throws
 * (CO-2): malformed or unencodable input never surfaces as anything else.
 */
import { ProcmeshError } from '../errors.js';

export type CodecErrorCode = 'deserialize' | 'serialize';

export class CodecError extends ProcmeshError {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
