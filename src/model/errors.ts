// Errors that are the user's to fix (bad input, unreachable node …). The CLI prints their
// message without a stack trace and exits with exitCode; anything else is a bug and keeps its stack.
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
