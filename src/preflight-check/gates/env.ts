/** env: every required environment variable (secrets mapped with env:) is set and non-empty; values never shown. */
import { fail, pass, some, type Gate } from './types.js';

export const envGate: Gate = async (config, { ctx }) => {
  const names = config.env.names;
  const missing = names.filter((n) => ctx.env[n] === undefined);
  const empty = names.filter((n) => ctx.env[n] !== undefined && ctx.env[n]!.trim() === '');
  // Register every value as a secret anyway: they are usually secrets, and must not reach any output.
  for (const n of names) if (ctx.env[n]) ctx.secrets.add(ctx.env[n]);
  if (missing.length || empty.length)
    return fail(
      [missing.length ? `not set: ${some(missing)}` : '', empty.length ? `empty: ${some(empty)}` : '']
        .filter(Boolean)
        .join('; '),
      {
        details: [
          'Map each secret into the step with `env:` (e.g. `DATABASE_URL: ${{ secrets.DATABASE_URL }}`); an empty value usually means the secret does not exist in this environment or repository.',
        ],
      },
    );
  return pass(`${names.length} set and non-empty: ${some(names, 8)} (values not shown)`);
};
