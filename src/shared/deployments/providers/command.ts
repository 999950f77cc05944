/**
 * The `command` provider: each operation runs the user's own shell command (written in the workflow or the
 * runbook file, like a `run:` step) with what it needs in the environment, never spliced into the script:
 *
 *   DEPLOY_VERSION           the version this run deploys
 *   DEPLOY_PREVIOUS_VERSION  the version it replaces (what a rollback puts back); empty on a first deploy
 *   DEPLOY_ENVIRONMENT       the environment name
 *   DEPLOY_SLOT              the slot the operation is about (blue-green, canary); empty for rolling
 *   DEPLOY_WEIGHT            percent of traffic for DEPLOY_SLOT (weight-command); 100 for switch-command
 *   DEPLOY_OPERATION         deploy, switch, weight or rollback
 */
import { describeExit, shellCommand, tail } from '../../../core/proc.js';
import type { DeployCommands } from '../settings.js';
import {
  ProviderError,
  type OperationOptions,
  type Provider,
  type ProviderContext,
  type Release,
} from '../provider.js';

type Operation = 'deploy' | 'switch' | 'weight' | 'rollback';

const INPUT_OF: Record<Operation, string> = {
  deploy: 'command',
  switch: 'switch-command',
  weight: 'weight-command',
  rollback: 'rollback-command',
};

export class CommandProvider implements Provider {
  readonly name = 'command';

  constructor(
    private readonly commands: DeployCommands,
    private readonly workingDirectory: string,
    private readonly ctx: ProviderContext,
  ) {}

  deploy(release: Release, slot: string | undefined, o: OperationOptions): Promise<void> {
    return this.run('deploy', release, { slot }, o);
  }

  switchTraffic(release: Release, slot: string, o: OperationOptions): Promise<void> {
    return this.run('switch', release, { slot, weight: 100 }, o);
  }

  setWeight(release: Release, slot: string | undefined, weight: number, o: OperationOptions): Promise<void> {
    return this.run('weight', release, { slot, weight }, o);
  }

  rollback(release: Release, o: OperationOptions): Promise<void> {
    return this.run('rollback', release, {}, o);
  }

  canRollback(): boolean {
    return this.commands.rollback !== undefined;
  }

  describe(op: Operation): string | undefined {
    const script = this.commands[op];
    return script === undefined ? undefined : `${INPUT_OF[op]} \`${script}\``;
  }

  /** Environment variables an operation gets; exported for the README table's test. */
  static env(
    op: Operation,
    release: Release,
    at: { slot?: string; weight?: number },
  ): Record<string, string> {
    return {
      DEPLOY_VERSION: release.version,
      DEPLOY_PREVIOUS_VERSION: release.previousVersion ?? '',
      DEPLOY_ENVIRONMENT: release.environment,
      DEPLOY_SLOT: at.slot ?? '',
      DEPLOY_WEIGHT: at.weight === undefined ? '' : String(at.weight),
      DEPLOY_OPERATION: op,
    };
  }

  private async run(
    op: Operation,
    release: Release,
    at: { slot?: string; weight?: number },
    o: OperationOptions,
  ): Promise<void> {
    const script = this.commands[op];
    if (script === undefined)
      throw new ProviderError(`no ${INPUT_OF[op]} is configured, so the ${op} step cannot run`);
    const { command, args } = shellCommand(script);
    const env = CommandProvider.env(op, release, at);
    this.ctx.log.info(
      `$ ${script}   (${Object.entries(env)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')})`,
    );
    const r = await this.ctx.exec({
      command,
      args,
      cwd: this.workingDirectory,
      env,
      timeoutMs: o.timeoutMs,
      signal: o.signal,
      onLine: (line) => this.ctx.log.info(`  ${line}`),
    });
    if (r.exitCode === 0 && !r.aborted && !r.timedOut) return;
    const last = tail(`${r.stdout}\n${r.stderr}`, 5);
    throw new ProviderError(
      `${INPUT_OF[op]} \`${script}\` ${describeExit(r, o.timeoutMs)}` +
        (last ? `; last output:\n${last}` : ''),
      r.aborted,
    );
  }
}
