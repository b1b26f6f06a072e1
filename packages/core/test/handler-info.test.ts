/**
 * actor/handler-info.ts: an actor's cache of `HandlerInfo`s by message arm (HI-1: no map until
 * the second arm; the infos stay shared either way, so marking a handler allocates nothing).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HandlerInfos } from '../src/actor/handler-info.js';

describe('HandlerInfos (HI-1)', () => {
  it('HI-1: one arm handled again and again gets the same info object', () => {
    const infos = new HandlerInfos();
    const first = infos.get('Counter', 'inc');
    assert.deepEqual({ ...first }, { typeName: 'Counter', arm: 'inc' });
    assert.equal(infos.get('Counter', 'inc'), first);
    assert.ok(Object.isFrozen(first));
  });

  it('HI-1: the first arm keeps its info when a second arm comes (the map starts with it)', () => {
    const infos = new HandlerInfos();
    const inc = infos.get('Counter', 'inc');
    const get = infos.get('Counter', 'get');
    assert.notEqual(get, inc);
    assert.equal(get.arm, 'get');
    assert.equal(infos.get('Counter', 'inc'), inc);
    assert.equal(infos.get('Counter', 'get'), get);
    assert.equal(infos.get('Counter', undefined).arm, undefined);
    assert.equal(infos.get('Counter', 'inc'), inc);
  });

  it('bounded: past 64 arms a further arm gets a fresh info each time', () => {
    const infos = new HandlerInfos();
    for (let i = 0; i < 64; i++) infos.get('Many', `arm${i}`);
    const extra = infos.get('Many', 'extra');
    infos.get('Many', 'arm0');
    assert.notEqual(infos.get('Many', 'extra'), extra);
    assert.equal(infos.get('Many', 'extra').arm, 'extra');
  });
});
