import { FramingError, Iso8583Error } from '../errors';

/** Runs `fn` and returns the Iso8583Error it throws; anything else (or nothing) fails the test. */
export function caught(fn: () => unknown): Iso8583Error {
  try {
    fn();
  } catch (err: unknown) {
    if (err instanceof Iso8583Error) return err;
    throw err;
  }
  throw new Error('expected an Iso8583Error, nothing was thrown');
}

export function caughtFraming(fn: () => unknown): FramingError {
  try {
    fn();
  } catch (err: unknown) {
    if (err instanceof FramingError) return err;
    throw err;
  }
  throw new Error('expected a FramingError, nothing was thrown');
}
