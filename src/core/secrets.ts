import * as core from '@actions/core';

/**
 * The secrets this process knows. Registered values are masked by the runner (`::add-mask::`) and also
 * redacted by us from everything we write ourselves (summary, outputs, report), since the step summary is a
 * file the runner does not rewrite.
 */
export class SecretRegistry {
  private readonly values = new Set<string>();

  constructor(private readonly announce: (value: string) => void = core.setSecret) {}

  /** Register a secret; values shorter than 3 characters are not masked (they would mask half the log). */
  add(value: string | undefined | null): void {
    if (!value || value.length < 3 || this.values.has(value)) return;
    this.values.add(value);
    this.announce(value);
    // URL-encoded and decoded forms show up in URLs and error messages.
    for (const variant of [encodeURIComponent(value), safeDecode(value)]) {
      if (variant !== value && variant.length >= 3 && !this.values.has(variant)) {
        this.values.add(variant);
        this.announce(variant);
      }
    }
  }

  /** Register the password (and user info) of a URL; returns the URL with the password shown as ***. */
  addUrl(url: string): string {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return url;
    }
    if (parsed.password) this.add(parsed.password);
    for (const [name, value] of parsed.searchParams) {
      if (SENSITIVE_NAME.test(name)) this.add(value);
    }
    return this.redact(url);
  }

  redact(text: string): string {
    let out = text;
    // Longest first so a secret containing another is replaced whole.
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(v).join('***');
    return out;
  }

  has(text: string): boolean {
    for (const v of this.values) if (text.includes(v)) return true;
    return false;
  }
}

export const SENSITIVE_NAME =
  /auth|token|secret|password|passwd|pwd|key|cookie|session|signature|credential/i;

/** Header names whose values are never secret; every other header value is masked. */
const PLAIN_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'content-type',
  'user-agent',
  'host',
  'pragma',
  'connection',
]);

export function isPlainHeader(name: string): boolean {
  return PLAIN_HEADERS.has(name.toLowerCase());
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
