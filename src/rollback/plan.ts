/**
 * What a rollback will do, worked out from the environment's deployment history alone (no request, no
 * command): which deployment is live (current), which version goes back (target), and how — switch back to
 * the idle slot that still runs the target, redeploy the target to the idle slot first, or run the rolling
 * rollback. Refusals are ConfigurationErrors naming the input and the versions known; nothing was changed.
 */
import { ConfigurationError } from '../core/errors.js';
import type { HistoryEntry, PayloadBackup } from './github.js';
import type { RollbackConfig } from './inputs.js';
import { STRANDED_PREFIX } from '../shared/deployments/records.js';

export type Method = 'switch-back' | 'redeploy-and-switch' | 'rolling';

export interface Plan {
  environment: string;
  current: HistoryEntry & { version: string };
  target: { version: string; deployment?: HistoryEntry };
  method: Method;
  /** blue-green/canary: the slot live now (running the bad version) and the one traffic goes back to. */
  liveSlot?: string;
  slot?: string;
  /** The steps apply would take, in order, in words. */
  steps: string[];
  /** The backup the rollback restores (restore-database). */
  backup?: { file?: string; fromPayload?: PayloadBackup };
}

const known = (h: HistoryEntry[]) =>
  [...new Set(h.filter((d) => d.succeeded && d.version).map((d) => d.version!))].join(', ') || 'none';

/** Whether the history read so far (newest first) names the current deployment and the target: stop reading. */
export function enoughHistory(toVersion: string | undefined): (h: HistoryEntry[]) => boolean {
  return (h) => {
    const i = h.findIndex((d) => d.state === 'success');
    const current = h[i];
    if (!current?.version) return false;
    if (toVersion) return h.some((d) => d.succeeded && d.version === toVersion);
    return h.slice(i + 1).some((d) => d.succeeded && d.version && d.version !== current.version);
  };
}

export function makePlan(config: RollbackConfig, history: HistoryEntry[]): Plan {
  const env = config.environment;
  const successIdx = history.findIndex((d) => d.state === 'success');
  // A newer deployment whose traffic move could not be undone (deploy says so in its final status) is what is
  // serving, or part of it, whatever GitHub shows as the last success.
  const strandedIdx = history.findIndex(
    (d, i) =>
      (successIdx === -1 || i < successIdx) &&
      d.task !== 'deploy:rollback' &&
      (d.state === 'failure' || d.state === 'error') &&
      (d.description ?? '').startsWith(STRANDED_PREFIX) &&
      d.version !== undefined,
  );
  const currentIdx = strandedIdx !== -1 && successIdx !== -1 ? strandedIdx : successIdx;
  const current = history[currentIdx];
  if (!current)
    throw new ConfigurationError(
      `Input "environment": no deployment of ${env} is live (none has success as its latest status` +
        `${history.length ? `; ${history.length} deployments seen, versions that ever succeeded: ${known(history)}` : '; nothing was ever deployed there'}). There is nothing to roll back. Nothing was changed.`,
    );
  if (!current.version)
    throw new ConfigurationError(
      `Input "environment": the live deployment #${current.id} of ${env} records no version in its payload, so there is no telling what to roll back from. Nothing was changed.`,
    );
  const older = history.slice(currentIdx + 1);
  let target: Plan['target'];
  if (config.toVersion) {
    if (config.toVersion === current.version)
      throw new ConfigurationError(
        `Input "to-version": ${config.toVersion} is already live on ${env} (deployment #${current.id}). Nothing was changed.`,
      );
    const d = history.find((x) => x.succeeded && x.version === config.toVersion);
    if (!d && !config.force)
      throw new ConfigurationError(
        `Input "to-version": ${config.toVersion} was never successfully deployed to ${env}; versions that were: ${known(history)}. ` +
          'Pick one of those, or set force: true to deploy it anyway. Nothing was changed.',
      );
    target = { version: config.toVersion, deployment: d };
  } else {
    const d = older.find((x) => x.succeeded && x.version && x.version !== current.version);
    if (!d)
      throw new ConfigurationError(
        `Input "environment": ${env} runs ${current.version} (deployment #${current.id}) and has no earlier successful deployment of another version to go back to (versions that ever succeeded: ${known(history)}). Give to-version to pick one. Nothing was changed.`,
      );
    target = { version: d.version!, deployment: d };
  }

  const plan: Plan = {
    environment: env,
    current: { ...current, version: current.version },
    target,
    method: 'rolling',
    steps: [],
  };
  const steps = plan.steps;
  if (config.restoreDatabase) {
    plan.backup = config.backupFile
      ? { file: config.backupFile, fromPayload: current.backup }
      : { fromPayload: current.backup };
    if (!config.backupFile && !current.backup?.artifact && !current.backup?.file)
      throw new ConfigurationError(
        `Input "backup-file": restore-database is true but no backup-file was given, and the deployment being rolled back (#${current.id}, ${current.version}) names no pre-release backup in its payload. Give the backup to restore. Nothing was changed.`,
      );
    if (config.stopCommand) steps.push(`run stop-command \`${config.stopCommand}\` (stop writes)`);
    steps.push(
      config.backupFile
        ? `restore ${config.backupFile} into ${config.database?.database} (sha256 checked first, one transaction)`
        : `restore the pre-release backup of #${current.id}: artifact ${current.backup?.artifact ?? '?'}${current.backup?.runId ? ` of run ${current.backup.runId}` : ''}${current.backup?.file ? `, file ${current.backup.file}` : ''}${current.backup?.sha256 ? ` (sha256 ${current.backup.sha256})` : ''} into ${config.database?.database}`,
    );
  }

  if (config.strategy !== 'rolling' && config.slots.length) {
    const names = config.slots.map((s) => s.name);
    const live = current.slot && names.includes(current.slot) ? current.slot : names[0]!;
    const idle = names.find((n) => n !== live)!;
    plan.liveSlot = live;
    plan.slot = idle;
    // Whatever touched the idle slot last decides what it runs now.
    const occupant = history.find((d) => d.slot === idle);
    if (occupant && occupant.version === target.version && occupant.succeeded) {
      plan.method = 'switch-back';
      steps.push(
        `check the health of ${idle} (still running ${target.version} since deployment #${occupant.id})`,
        `switch all traffic from ${live} (${current.version}) back to ${idle} (${target.version})`,
      );
    } else {
      plan.method = 'redeploy-and-switch';
      if (!config.commands.deploy)
        throw new ConfigurationError(
          `Input "command" is required: ${idle} no longer runs ${target.version} (${occupant ? `deployment #${occupant.id} put ${occupant.version ?? 'another version'} there since` : 'no deployment records it'}), so the rollback must deploy ${target.version} to it first. Nothing was changed.`,
        );
      steps.push(
        `deploy ${target.version} to ${idle} (${occupant ? `#${occupant.id} put ${occupant.version ?? 'another version'} there since` : 'no record of what it runs'})`,
        `check the health of ${idle}`,
        `switch all traffic from ${live} (${current.version}) to ${idle} (${target.version})`,
      );
    }
  } else {
    steps.push(
      config.commands.rollback
        ? `run rollback-command with DEPLOY_PREVIOUS_VERSION=${target.version} (the version it puts back) and DEPLOY_VERSION=${current.version}`
        : `run command with DEPLOY_VERSION=${target.version} and DEPLOY_PREVIOUS_VERSION=${current.version}`,
    );
    if (!config.verify) steps.push('wait for the public health checks');
  }
  if (config.verify)
    steps.push(
      `verify: ${config.checks.length ? config.checks.map((c) => c.name).join(', ') : 'no public checks (the slot check was the gate)'}`,
    );
  steps.push(
    `record deployment deploy:rollback of ${target.version} (rollback_of #${current.id}) and mark #${current.id} inactive`,
  );
  if (config.incidentIssue)
    steps.push(`open the incident issue "${incidentTitle(env, current.version, target.version)}"`);
  return plan;
}

export const incidentTitle = (env: string, bad: string, target: string) =>
  `Rollback of ${env}: ${bad} → ${target}`;
