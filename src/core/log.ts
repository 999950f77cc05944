/**
 * Logging through @actions/core with every line passed through the secrets registry and then made unable to
 * start a workflow command (src/core/safe-line.ts), whatever it quotes. Annotation titles are neutralised too.
 */
import * as core from '@actions/core';
import { neutralise } from './safe-line.js';
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
  const r = (m: string) => neutralise(secrets.redact(m));
  const annotation = (at?: AnnotationAt) =>
    at && {
      ...at,
      ...(at.title !== undefined ? { title: r(at.title) } : {}),
      ...(at.file !== undefined ? { file: r(at.file) } : {}),
    };
  return {
    info: (m) => core.info(r(m)),
    debug: (m) => core.debug(r(m)),
    warning: (m, at) => core.warning(r(m), annotation(at)),
    error: (m, at) => core.error(r(m), annotation(at)),
    group: (title, fn) => core.group(r(title), fn),
  };
}
