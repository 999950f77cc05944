import * as core from '@actions/core';

/**
 * The secrets this process knows. Registered values are masked by the runner (`::add-mask::`) and also
 * redacted by us from everything we write ourselves (summary, outputs, report), since the step summary is a
 * file the runner does not rewrite.
 */
export class SecretRegistry {
  private readonly values = new Set<string>();
  /** URLs registered with addUrl, as given → as shown (showUrl). */
  private readonly urls = new Map<string, string>();

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

  /**
   * Register the secrets of a URL: its password (and the Basic credential built from it), a token-like user
   * name given without a password, query values with auth-like names or long enough to be a token. From then on
   * the URL as given is printed as `showUrl()` prints it (user info and every query value hidden). Returns it so.
   */
  addUrl(url: string): string {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return this.redact(url);
    }
    if (parsed.password) {
      this.add(parsed.password);
      this.add(basicCredential(parsed));
    } else if (
      // A token given as the user of an http(s) URL (https://<token>@host); a database user is not a secret.
      (parsed.protocol === 'https:' || parsed.protocol === 'http:') &&
      parsed.username.length >= TOKEN_LIKE_LENGTH
    )
      this.add(parsed.username);
    for (const [name, value] of parsed.searchParams) {
      if (SENSITIVE_NAME.test(name) || value.length >= TOKEN_LIKE_LENGTH) this.add(value);
    }
    const shown = showUrl(url);
    if (shown !== url) this.urls.set(url, shown);
    return this.redact(shown);
  }

  redact(text: string): string {
    let out = text;
    for (const [raw, shown] of [...this.urls].sort((a, b) => b[0].length - a[0].length))
      if (out.includes(raw)) out = out.split(raw).join(shown);
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
  /auth|token|secret|password|passwd|pwd|key|cookie|session|signature|sig|credential|code|ticket|jwt/i;

/** A query value at least this long is registered as a secret whatever its name (SAS signatures, tokens). */
const TOKEN_LIKE_LENGTH = 16;

/**
 * A URL as we print it (logs, report, summary, outputs): the password as `***` (on an http(s) URL, a user name
 * without a password is taken for a token and hidden too), every query value as `***` (parameter names kept: `?sig=***&se=***`),
 * and a fragment holding values hidden the same way. Text that is not a URL gets its user info hidden.
 */
export function showUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/gi, (_m, scheme: string, info: string) =>
      info.includes(':') ? `${scheme}${info.split(':')[0]}:***@` : `${scheme}***@`,
    );
  }
  if (u.password) u.password = '***';
  // `https://<token>@host`: a user name alone on a web URL is a token; on a database URL it is just the user.
  else if (u.username && (u.protocol === 'https:' || u.protocol === 'http:')) u.username = '***';
  const hide = (part: string) =>
    part
      .split('&')
      .map((kv) => {
        const i = kv.indexOf('=');
        return i < 0 ? kv : `${kv.slice(0, i)}=${kv.slice(i + 1) ? '***' : ''}`;
      })
      .join('&');
  if (u.search.length > 1) u.search = `?${hide(u.search.slice(1))}`;
  if (u.hash.includes('=')) u.hash = `#${hide(u.hash.slice(1))}`;
  return u.toString();
}

/** The user info of a URL as the value of a Basic Authorization header's credential (base64 of user:pass). */
export function basicCredential(u: URL): string {
  return Buffer.from(`${safeDecode(u.username)}:${safeDecode(u.password)}`, 'utf8').toString('base64');
}

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
