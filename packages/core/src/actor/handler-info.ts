/**
 * actor/handler-info.ts: `HandlerInfos`, an actor's cache of the `HandlerInfo` (status.ts) of
 * each message arm it handles, so marking a handler as running (`status.markProcessing`, the
 * `lastHandler` of introspection) allocates nothing per message (AC-2). Bounded: at most
 * `MAX_HANDLER_INFOS` arms are kept; a further arm gets a fresh object each time.
 */
import type { HandlerInfo } from '../status.js';

/** At most this many distinct `HandlerInfo`s are cached per actor (message arms). */
const MAX_HANDLER_INFOS = 64;

export class HandlerInfos {
  private last: HandlerInfo | undefined;
  private readonly byArm = new Map<string | undefined, HandlerInfo>();

  /**
   * The (shared, immutable) info of arm `arm`; `typeName` is the actor's handler type, fixed
   * before its first message (actor/run.ts), so it is not part of the key.
   */
  get(typeName: string, arm: string | undefined): HandlerInfo {
    const last = this.last;
    if (last !== undefined && last.arm === arm) return last;
    let info = this.byArm.get(arm);
    if (info === undefined) {
      info = Object.freeze({ typeName, arm });
      if (this.byArm.size < MAX_HANDLER_INFOS) this.byArm.set(arm, info);
    }
    this.last = info;
    return info;
  }
}
