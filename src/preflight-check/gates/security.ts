/** security: no open code scanning or Dependabot alert at or above fail-on-severity; unknown is never a pass. */
import { ReadError, type SecurityAlert } from '../github.js';
import type { Severity } from '../inputs.js';
import { fail, pass, some, type Gate } from './types.js';

const ORDER = ['low', 'medium', 'high', 'critical'];

/** The severities at or above `min`. */
export function severitiesFrom(min: Severity): string[] {
  return min === 'none' ? [] : ORDER.slice(ORDER.indexOf(min));
}

function unknownMessage(kind: 'code-scanning' | 'dependabot', e: ReadError): string {
  if (kind === 'code-scanning') {
    if (e.status === 403)
      return 'code scanning: unknown (403): the token lacks `security-events: read` (add `permissions: security-events: read` to the job), or code scanning / GitHub Advanced Security is not enabled for this repository';
    if (e.status === 404)
      return 'code scanning: unknown (404): code scanning is not set up for this repository (no analysis uploaded), or the token cannot see it (`security-events: read`)';
  } else {
    if (e.status === 403)
      return 'Dependabot: unknown (403): Dependabot alerts are disabled for this repository, or the token lacks `security-events: read` (a GitHub App or fine-grained token needs the "Dependabot alerts: read" permission, `vulnerability_alerts`)';
    if (e.status === 404)
      return 'Dependabot: unknown (404): Dependabot alerts are not available for this repository, or the token cannot see them (`security-events: read`)';
  }
  return `${kind === 'dependabot' ? 'Dependabot' : 'code scanning'}: unknown: ${e.message}`;
}

export const securityGate: Gate = async (config, { gh }) => {
  const wanted = severitiesFrom(config.security.failOn);
  if (!wanted.length) return pass('off (fail-on-severity: none)');
  const read = async (kind: 'code-scanning' | 'dependabot'): Promise<SecurityAlert[] | string> => {
    try {
      const alerts =
        kind === 'dependabot' ? await gh.dependabotAlerts(wanted) : await gh.codeScanningAlerts();
      return alerts.filter((a) => wanted.includes(a.severity));
    } catch (e) {
      if (e instanceof ReadError) return unknownMessage(kind, e);
      throw e;
    }
  };
  const [code, deps] = await Promise.all([read('code-scanning'), read('dependabot')]);
  const unknown = [code, deps].filter((x): x is string => typeof x === 'string');
  const alerts = [code, deps].flatMap((x) => (typeof x === 'string' ? [] : x));
  const threshold = `${config.security.failOn}${config.security.failOn === 'critical' ? '' : ' or above'}`;
  const listed = alerts.map(
    (a) =>
      `${a.severity} ${a.kind === 'dependabot' ? 'Dependabot' : 'code scanning'} #${a.number}: ${a.title} ${a.url}`,
  );
  if (alerts.length)
    return fail(
      `${alerts.length} open alert${alerts.length === 1 ? '' : 's'} ${threshold}: ${some(
        alerts.map((a) => `${a.severity} ${a.kind} #${a.number}`),
        3,
      )}`,
      {
        url: alerts[0]!.url,
        details: [...listed, ...unknown, 'Fix or dismiss (with a reason) these alerts before deploying.'],
      },
    );
  if (unknown.length)
    return fail(`unknown: ${unknown.length === 2 ? 'neither alert API' : 'one alert API'} could be read`, {
      details: [
        ...unknown,
        'An unreadable scan is not a clean scan: grant the permission or enable the feature, or put "security" in warn-only.',
      ],
    });
  return pass(`no open code scanning or Dependabot alert ${threshold}`);
};
