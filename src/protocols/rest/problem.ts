/** RFC 9457 problem details, the body of every refusal on the HTTP lanes. */
export interface ProblemField {
  readonly field: string;
  readonly message: string;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly ProblemField[];
  readonly [extension: string]: unknown;
}

export const PROBLEM_BASE = 'https://billgate.dev/problems/';

export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
  }
}

export function problem(
  status: number,
  slug: string,
  title: string,
  extra: Partial<Problem> = {},
): ProblemError {
  return new ProblemError({ type: PROBLEM_BASE + slug, title, status, ...extra });
}
