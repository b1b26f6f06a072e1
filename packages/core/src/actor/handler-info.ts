/**
 * actor/handler-info.ts: `HandlerInfos`, an actor's cache of the `HandlerInfo` (status.ts) of
 * each message arm it handles, so marking a handler as running (`status.markProcessing`, the
 * `lastHandler` of introspection) allocates nothing per message (AC-2). Bounded: at most
 * `MAX_HANDLER_INFOS` arms are kept; a further arm gets a fresh object each time.
 *
 * - HI-1 (memory): an actor that handled messages of one arm only (or none) holds no map: the
 *   last info is kept in a field, the map is made for the second arm (issue 16: an idle actor's
 *   empty map cost ~180 bytes).
 */
import type { HandlerInfo } from '../status.js';

/** At most this many distinct `HandlerInfo`s are cached per actor (message arms). */
const MAX_HANDLER_INFOS = 64;

export class HandlerInfos {
  private last: HandlerInfo | undefined;
  /** HI-1: made for the second arm. */
  private byArm: Map<string | undefined, HandlerInfo> | undefined;

  /**
   * The (shared, immutable) info of arm `arm`; `typeName` is the actor's handler type, fixed
   * before its first message (actor/run.ts), so it is not part of the key.
   */
  get(typeName: string, arm: string | undefined): HandlerInfo {
    const last = this.last;
    if (last !== undefined && last.arm === arm) return last;
    let info: HandlerInfo | undefined;
    if (last === undefined) info = Object.freeze({ typeName, arm });
    else {
      const byArm = (this.byArm ??= new Map([[last.arm, last]]));
      info = byArm.get(arm);
      if (info === undefined) {
        info = Object.freeze({ typeName, arm });
        if (byArm.size < MAX_HANDLER_INFOS) byArm.set(arm, info);
      }
    }
    this.last = info;
    return info;
  }
}
