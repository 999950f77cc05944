/** Picks the provider named by the `provider` input. A new provider is one more case here. */
import type { DeploymentSettings as DeployConfig } from '../settings.js';
import type { Provider, ProviderContext } from '../provider.js';
import { CommandProvider } from './command.js';

export function createProvider(config: DeployConfig, ctx: ProviderContext): Provider {
  switch (config.provider) {
    case 'command':
      return new CommandProvider(config.commands, config.workingDirectory, ctx);
  }
}
