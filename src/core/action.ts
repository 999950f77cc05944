/**
 * The wrapper every action's entry point goes through: creates the run context, runs `main`, and on any
 * thrown value (Error or not) fails the step with a message for a human, with secrets redacted. Never leaves a
 * failed step green.
 */
import * as core from '@actions/core';
import { createContext, type RunContext } from './context.js';
import { CheckFailure, ConfigurationError, errorMessage } from './errors.js';
import { neutralise } from './safe-line.js';

export async function runAction(
  actionName: string,
  main: (ctx: RunContext) => Promise<void>,
  makeContext: () => RunContext = createContext,
): Promise<void> {
  // Every message goes through the secrets registry, then is made unable to start a workflow command.
  let redact = (s: string) => neutralise(s);
  try {
    const ctx = makeContext();
    redact = (s) => neutralise(ctx.secrets.redact(s));
    await main(ctx);
  } catch (e) {
    if (e instanceof ConfigurationError)
      core.setFailed(redact(`Invalid configuration for ${actionName}:\n${e.message}`));
    else if (e instanceof CheckFailure) core.setFailed(redact(e.message));
    else {
      core.setFailed(redact(`${actionName} failed: ${errorMessage(e)}`));
      if (e instanceof Error && e.stack) core.debug(redact(e.stack));
    }
    process.exitCode = 1;
  }
}
