/**
 * wire/errors.ts: `CodecError`, the one error every decoder and encoder of `wire/` throws
 * (CO-2): malformed or unencodable input never surfaces as anything else.
 *
 * Codes: `serialize` (a value msgpackr cannot encode), `deserialize` (malformed bytes, those
 * that declare more than they hold included: wire/limits.ts DL-1), `limit-exceeded`
 * (well-formed bytes from outside the thread beyond the decode limits: DL-2), `unsendable` (a
 * value outside the sending contract: SC-2, sendable.ts), `invalid-codec` (a `registerCodec`
 * call with a bad or taken tag), `invalid-transfer` (a transfer list that is not distinct,
 * attached, transferable `ArrayBuffer`s: attachments.ts OOB-2).
 */
import { ProcmeshError } from '../errors.js';

export type CodecErrorCode = 'deserialize' | 'serialize' | 'limit-exceeded' | 'unsendable' | 'invalid-codec' | 'invalid-transfer';

export class CodecError extends ProcmeshError {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
