import pino from 'pino';
import type { PaymentPath } from '../../api/payment-path';
import { PaymentRelay } from '../../api/payment-relay';

/**
 * The outbox relay's queue: every kicked payment is delivered, at most
 * `concurrency` at once, one delivery per payment at a time; a payment kicked
 * again while it is being delivered goes again afterwards (the first delivery
 * may have read the row before the change that caused the kick); a failed
 * delivery waits for the next poll.
 */
const logger = pino({ level: 'silent' });
const tick = () => new Promise((r) => setTimeout(r, 5));

function fakePath(behaviour: { pending?: string[]; fail?: Set<string> } = {}) {
  const started: string[] = [];
  const gates = new Map<string, () => void>();
  let running = 0;
  let maxRunning = 0;
  const path = {
    async deliver(id: string) {
      started.push(id);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => gates.set(`${id}#${started.filter((s) => s === id).length}`, r));
      running--;
      if (behaviour.fail?.has(id)) throw new Error('temporal unavailable');
      return true;
    },
    async pending() {
      return behaviour.pending ?? [];
    },
  } as unknown as PaymentPath;
  const release = (id: string, n = 1) => gates.get(`${id}#${n}`)?.();
  return { path, started, release, max: () => maxRunning };
}

test('delivers every kicked payment, never more than `concurrency` at once', async () => {
  const f = fakePath();
  const relay = new PaymentRelay(f.path, { intervalMs: 60_000, minAgeMs: 0, concurrency: 2, logger });
  ['a', 'b', 'c', 'd'].forEach((id) => relay.kick(id));
  await tick();
  expect(f.started).toEqual(['a', 'b']);
  f.release('a');
  await tick();
  expect(f.started).toEqual(['a', 'b', 'c']);
  ['b', 'c', 'd'].forEach((id) => f.release(id));
  await tick();
  f.release('d');
  await relay.drained();
  expect(f.started).toEqual(['a', 'b', 'c', 'd']);
  expect(f.max()).toBe(2);
  await relay.stop();
});

test('a payment kicked again while being delivered is delivered again afterwards, not twice at once', async () => {
  const f = fakePath();
  const relay = new PaymentRelay(f.path, { intervalMs: 60_000, minAgeMs: 0, concurrency: 4, logger });
  relay.kick('a');
  await tick();
  relay.kick('a'); // e.g. the webhook committed while the creation was being told
  relay.kick('a');
  await tick();
  expect(f.started).toEqual(['a']);
  f.release('a', 1);
  await tick();
  expect(f.started).toEqual(['a', 'a']);
  f.release('a', 2);
  await relay.drained();
  expect(f.started).toEqual(['a', 'a']);
  await relay.stop();
});

test('a failed delivery is logged and left for the next poll, which finds it again', async () => {
  const f = fakePath({ pending: ['x'], fail: new Set(['x']) });
  const relay = new PaymentRelay(f.path, { intervalMs: 60_000, minAgeMs: 0, concurrency: 1, logger });
  await relay.poll();
  await tick();
  f.release('x', 1);
  await relay.drained();
  expect(f.started).toEqual(['x']);
  await relay.poll();
  await tick();
  expect(f.started).toEqual(['x', 'x']);
  f.release('x', 2);
  await relay.stop();
});

test('after stop() kicks are ignored', async () => {
  const f = fakePath();
  const relay = new PaymentRelay(f.path, { intervalMs: 60_000, minAgeMs: 0, concurrency: 1, logger });
  await relay.stop();
  relay.kick('late');
  await tick();
  expect(f.started).toEqual([]);
});
