import type { z } from 'zod';
import type { ProblemField } from './problem';

/**
 * zod's own messages ("Invalid input: expected string, received undefined") describe the validator,
 * not what the caller must change. Each issue becomes one field and a sentence saying what is
 * wanted; a message a schema wrote itself (a regex hint, a refinement) is kept as it is.
 */
export function problemFields(issues: readonly z.core.$ZodIssue[], input: unknown): ProblemField[] {
  const fields: ProblemField[] = [];
  for (const issue of issues) {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        fields.push({ field: at === '' ? key : `${at}.${key}`, message: 'unknown field' });
      continue;
    }
    fields.push({ field: at === '' ? '(body)' : at, message: describe(issue, valueAt(input, issue.path)) });
  }
  return fields;
}

function describe(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'is required';
      if (issue.message !== undefined && !issue.message.startsWith('Invalid input')) return issue.message;
      return `must be ${article(issue.expected)}, not ${article(kindOf(value))}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'too_small':
      if (isZodDefault(issue.message)) return bound('at least', issue.minimum, issue.origin);
      return issue.message;
    case 'too_big':
      if (isZodDefault(issue.message)) return bound('at most', issue.maximum, issue.origin);
      return issue.message;
    case 'invalid_format':
      return isZodDefault(issue.message) ? `must be a valid ${issue.format}` : issue.message;
    default:
      return issue.message;
  }
}

function isZodDefault(message: string): boolean {
  return /^(Too small|Too big|Invalid)\b/.test(message);
}

function bound(word: string, limit: number | bigint, origin: string): string {
  if (origin === 'string')
    return limit === 1 && word === 'at least' ? 'must not be empty' : `${word} ${limit} characters`;
  if (origin === 'array' || origin === 'set') return `${word} ${limit} item${limit === 1 ? '' : 's'}`;
  return `must be ${word} ${limit}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** "a string", "an object", "an array": messages read as sentences. */
function article(kind: string): string {
  if (kind === 'null' || kind === 'undefined') return kind;
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let here: unknown = input;
  for (const key of path) {
    if (typeof here !== 'object' || here === null) return undefined;
    here = (here as Record<PropertyKey, unknown>)[key];
  }
  return here;
}
