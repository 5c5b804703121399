import { describe, expect, it } from 'vitest';
import { OperationIds } from '../../../src/http/operation-ids.js';

describe('OperationIds', () => {
  it('an id the client has not completed is in use; a second subscribe with it is refused', () => {
    const ids = new OperationIds();
    expect(ids.subscribe('x', 'first')).toBe('run');
    expect(ids.subscribe('x', 'again')).toBe('refuse');
    expect(ids.subscribe('y', 'other')).toBe('run');
  });

  it('a completed id is free at once: its reuse waits for the old subscription to end, then runs', () => {
    const ids = new OperationIds();
    ids.subscribe('x', 'first');
    expect(ids.complete('x')).toBe('forward'); // graphql-ws ends the first
    expect(ids.subscribe('x', 'second')).toBe('wait');
    expect(ids.subscribe('x', 'third')).toBe('refuse'); // the waiting one holds the id
    expect(ids.ended('x')).toBe('second');
    expect(ids.subscribe('x', 'fourth')).toBe('refuse'); // the second runs now
    expect(ids.ended('x')).toBeUndefined();
    expect(ids.subscribe('x', 'fifth')).toBe('run');
  });

  it('a complete of a waiting subscribe cancels it here; graphql-ws never sees either', () => {
    const ids = new OperationIds();
    ids.subscribe('x', 'first');
    ids.complete('x');
    ids.subscribe('x', 'second');
    expect(ids.complete('x')).toBe('cancelled');
    expect(ids.ended('x')).toBeUndefined(); // the first ended; nothing waits
    expect(ids.subscribe('x', 'third')).toBe('run');
  });

  it('completes of unknown or already completed ids go to graphql-ws, which ignores them', () => {
    const ids = new OperationIds();
    expect(ids.complete('nope')).toBe('forward');
    ids.subscribe('x', 'first');
    ids.complete('x');
    expect(ids.complete('x')).toBe('forward');
    expect(ids.ended('x')).toBeUndefined();
  });

  it('nothing goes out under a completed id until its reuse runs; only then is any frame looked at', () => {
    const ids = new OperationIds();
    ids.subscribe('x', 'first');
    ids.subscribe('y', 'other');
    expect(ids.anySilenced).toBe(false);
    expect(ids.silenced('x')).toBe(false);
    ids.complete('x');
    expect([ids.anySilenced, ids.silenced('x'), ids.silenced('y')]).toEqual([true, true, false]);
    ids.subscribe('x', 'second'); // waits
    expect(ids.silenced('x')).toBe(true);
    ids.complete('x'); // cancels it: the first is still finishing
    ids.subscribe('x', 'third');
    expect(ids.anySilenced).toBe(true);
    expect(ids.ended('x')).toBe('third');
    expect([ids.anySilenced, ids.silenced('x')]).toEqual([false, false]);
    ids.complete('x');
    expect(ids.ended('x')).toBeUndefined();
    expect(ids.anySilenced).toBe(false);
  });
});
