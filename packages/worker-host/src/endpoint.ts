/**
 * endpoint.ts: comlink over a Node `MessagePort` (comlink's own node adapter, typed for
 * NodeNext, with listener bookkeeping so `removeEventListener` works).
 */
import type { Endpoint } from 'comlink';
import type { MessagePort } from 'node:worker_threads';

type Listener = Parameters<Endpoint['addEventListener']>[1];

export function portEndpoint(port: MessagePort): Endpoint {
  const handlers = new Map<Listener, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: readonly unknown[]) => port.postMessage(message, transfer as never),
    addEventListener: (_type: string, listener: Listener) => {
      const handler = (data: unknown): void => {
        const event = { data } as never;
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      };
      handlers.set(listener, handler);
      port.on('message', handler);
    },
    removeEventListener: (_type: string, listener: Listener) => {
      const handler = handlers.get(listener);
      if (handler !== undefined) {
        port.off('message', handler);
        handlers.delete(listener);
      }
    },
    start: () => port.start(),
  } as Endpoint;
}
