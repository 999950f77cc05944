/**
 * Two kinds of failure reach the user:
 * - ConfigurationError: the user's input is wrong. Plain message plus how to fix it; nothing was changed.
 * - everything else: something went wrong while doing the work; prefixed `<action> failed:`.
 * A CheckFailure is the expected "no" of a gate (a smoke check failed, a backup is too old): its message is
 * already written for a human and is shown as is.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message}\n${hint}` : message);
  }
}

export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
}

/** Message of any thrown value, never "[object Object]". */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    return String(e);
  }
}
