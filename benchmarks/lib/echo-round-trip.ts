/**
 * One round trip of a raw socket echo: write a frame, resolve when as many bytes came back.
 * The raw peer of the net ping-pong (net.bench.ts) and of the hop counter (net-hops.ts).
 */
import type net from 'node:net';

/** Listens on `socket` for echoed bytes; each call writes `frame` and resolves once it is back. */
export function echoRoundTrip(socket: net.Socket, frame: Uint8Array): () => Promise<void> {
  let received = 0;
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received >= frame.length) {
      received -= frame.length;
      const w = waiter;
      waiter = undefined;
      w?.();
    }
  });
  return () =>
    new Promise<void>((resolve) => {
      waiter = resolve;
      socket.write(frame);
    });
}
