/**
 * Time in end-to-end tests. Waiting for something to HAPPEN is never a sleep: use `vi.waitFor`
 * on the outcome, or an event (`GqlWsClient.message`, `RawClient.waitFor`, `sim.waitFor`). Unit
 * tests use fake timers. What is left is time that is itself the subject, and it goes through
 * these, each call saying why:
 * - `quietFor`: a window in which the test then checks that something did NOT happen;
 * - `elapse`: the pace of a workload, or a known interval of the code under test running out;
 * - `clearOfMinuteTurn`: a step that reads the forming 1-minute candle must not straddle its end.
 * Neither is ever lengthened to make a flaky test pass: a flake is a bug in the code or in the
 * test's waiting for an outcome.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Lets `ms` pass so the test can check afterwards that nothing happened meanwhile (`what` says what must not). */
export function quietFor(ms: number, what: string): Promise<void> {
  void what;
  return delay(ms);
}

/** Lets `ms` pass as part of the scenario: a workload's pace or an interval of the code under test (`why`). */
export function elapse(ms: number, why: string): Promise<void> {
  void why;
  return delay(ms);
}

/**
 * Returns at once unless the wall-clock minute turns within `windowMs`; then waits until it has
 * turned (`why` says what must not straddle it). A test that pushes a trade and then reads the
 * forming candle calls this first, so the bar it reads is the one its trade went into.
 */
export function clearOfMinuteTurn(windowMs: number, why: string): Promise<void> {
  void why;
  const untilTurn = 60_000 - (Date.now() % 60_000);
  return untilTurn > windowMs ? Promise.resolve() : delay(untilTurn + 10);
}
