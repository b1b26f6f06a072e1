/**
 * A TypeScript actor module loaded by workers without a build (issue 12): `ProcHost.start({
 * modules: [new URL('.../greeter.ts')] })` imports this source file itself (tsx's loader in the
 * worker, or Node's type stripping where it has it). Types only where erasure removes them.
 */
import { registerActor, type Actor, type Context, type OncePortRef } from '@procmesh/core';

export type GreeterMsg = { type: 'greet'; name: string; reply: OncePortRef<string> };

interface GreeterParams {
  readonly greeting: string;
}

class Greeter implements Actor<GreeterMsg> {
  constructor(private readonly params: GreeterParams) {}
  handle(cx: Context<GreeterMsg>, msg: GreeterMsg): void {
    const loader: string = (process.features as { typescript?: unknown }).typescript !== undefined ? 'node' : 'tsx';
    msg.reply.send(cx, `${this.params.greeting}, ${msg.name} (from ${String(cx.selfId.proc)}, ${import.meta.url.endsWith('.ts') ? 'a .ts module' : 'compiled'} via ${loader})`);
  }
}

export const GreeterType = registerActor('Greeter', (params: GreeterParams) => new Greeter(params));
