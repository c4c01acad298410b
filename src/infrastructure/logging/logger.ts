import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Credentials are redacted by path wherever they might appear; card numbers
 * are masked by the protocol code before they get here (see maskPan), and redaction is the second line.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'billgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'authorization',
          'headers.authorization',
          'req.headers.authorization',
          'apiKey',
          'secret',
          '*.secret',
          'password',
          '*.password',
          'token',
          '*.token',
          'privateKey',
          '*.privateKey',
          'pan',
          '*.pan',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** Keeps the first six and last four digits of anything that looks like a card number. */
export function maskPan(text: string): string {
  return text.replace(
    /\d{13,19}/g,
    (pan) => `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`,
  );
}
