/** Assertions on BotErrors shared by the contract suites and the unit tests. */
import { BotError, type ErrorCode } from '../../src/domain/errors.js';

/** Awaits `promise`, expects it to reject with a BotError of `code` whose message contains every fragment. */
export async function expectBotError(promise: Promise<unknown>, code: ErrorCode, ...fragments: (string | RegExp)[]): Promise<BotError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) throw new Error(`expected a BotError ${code}, but the call succeeded`);
  expect(caught).toBeInstanceOf(BotError);
  const err = caught as BotError;
  expect({ code: err.code, message: err.userMessage }).toEqual({ code, message: expect.any(String) as unknown });
  for (const fragment of fragments) {
    if (typeof fragment === 'string') expect(err.userMessage).toContain(fragment);
    else expect(err.userMessage).toMatch(fragment);
  }
  return err;
}
