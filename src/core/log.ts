/** Logging through @actions/core with every line passed through the secrets registry. */
import * as core from '@actions/core';
import type { SecretRegistry } from './secrets.js';

export interface AnnotationAt {
  title?: string;
  file?: string;
  startLine?: number;
  endLine?: number;
}

export interface Logger {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string, at?: AnnotationAt): void;
  error(message: string, at?: AnnotationAt): void;
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

export function createLogger(secrets: SecretRegistry): Logger {
  const r = (m: string) => secrets.redact(m);
  return {
    info: (m) => core.info(r(m)),
    debug: (m) => core.debug(r(m)),
    warning: (m, at) => core.warning(r(m), at),
    error: (m, at) => core.error(r(m), at),
    group: (title, fn) => core.group(r(title), fn),
  };
}
