/** preflight-check's inputs: the zod schema keyed by action.yml's input names, and the config they resolve to. */
import { z } from 'zod';
import { nameChecks, type CheckSpec, checksSchema } from '../core/checks.js';
import { parseDatabaseUrl } from '../core/db.js';
import { ConfigurationError } from '../core/errors.js';
import {
  bool,
  DAY,
  duration,
  formatDuration,
  HOUR,
  MINUTE,
  httpUrl,
  integer,
  optional,
  parseInputs,
  parseList,
  quote,
  readRawInputs,
  text,
  type RawInputs,
} from '../core/inputs.js';
import { firstDefined, type LoadedRunbook } from '../core/runbook.js';
import {
  isTimeZone,
  parseFreeze,
  parseWindow,
  WindowSyntaxError,
  type DeployWindow,
  type Freeze,
} from './window.js';

export const GATES = [
  'ci',
  'reviews',
  'security',
  'ticket',
  'ref',
  'window',
  'soak',
  'backup',
  'health',
  'env',
  'database',
  'protection',
] as const;
export type GateName = (typeof GATES)[number];
export const DEFAULT_GATES: readonly GateName[] = ['ci', 'reviews', 'security', 'protection'];

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'none'] as const;
export type Severity = (typeof SEVERITIES)[number];

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Gate names; with `none`, the single word none is an empty list (an input cannot be given as empty). */
const gateList = (o: { none?: boolean } = {}) =>
  z.string().transform((v, ctx) => {
    const names = parseList(v);
    if (o.none && names.length === 1 && names[0]!.toLowerCase() === 'none') return [] as GateName[];
    const unknown = names.filter((n) => !(GATES as readonly string[]).includes(n));
    if (unknown.length) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown gate ${unknown.map((u) => quote(u)).join(', ')}; the gates are ${GATES.join(', ')}${o.none ? ' (or none)' : ''}`,
      });
      return z.NEVER;
    }
    return names as GateName[];
  });

/** A name that is shown and sent to APIs: no control characters, not starting with `-`. */
const safeName = (what: string) =>
  z.string().transform((v, ctx) => {
    const s = v.trim();
    if (CONTROL.test(s) || s.startsWith('-') || !s || s.length > 256) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${what} without control characters and not starting with "-" (at most 256 characters), got ${quote(s)}`,
      });
      return z.NEVER;
    }
    return s;
  });

const regex = () =>
  z.string().transform((v, ctx) => {
    try {
      return new RegExp(v.trim());
    } catch (e) {
      ctx.addIssue({
        code: 'custom',
        message: `is not a valid regular expression (${e instanceof Error ? e.message : String(e)}), got ${quote(v)}`,
      });
      return z.NEVER;
    }
  });

const lines = () =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) =>
      (Array.isArray(v) ? v : v.split('\n')).map((s) => s.trim()).filter((s) => s && !s.startsWith('#')),
    );

const envNames = () =>
  z.union([z.string(), z.array(z.string())]).transform((v, ctx) => {
    const names = Array.isArray(v) ? v.map((s) => s.trim()).filter(Boolean) : parseList(v);
    const bad = names.filter((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
    if (bad.length) {
      ctx.addIssue({
        code: 'custom',
        message: `expected environment variable names such as DATABASE_URL, got ${bad.map((b) => quote(b)).join(', ')}`,
      });
      return z.NEVER;
    }
    return names;
  });

const severity = () =>
  z.string().transform((v, ctx) => {
    const s = v.trim().toLowerCase();
    if (!(SEVERITIES as readonly string[]).includes(s)) {
      ctx.addIssue({ code: 'custom', message: `expected one of ${SEVERITIES.join(', ')}, got ${quote(v)}` });
      return z.NEVER;
    }
    return s as Severity;
  });

const refList = () =>
  z.union([z.string(), z.array(z.string())]).transform((v, ctx) => {
    const refs = Array.isArray(v) ? v.map((s) => s.trim()).filter(Boolean) : parseList(v);
    const bad = refs.filter((r) => CONTROL.test(r) || r.startsWith('-') || /\s|\.\.|[~^:?[\\]/.test(r));
    if (bad.length) {
      ctx.addIssue({
        code: 'custom',
        message: `expected branch or tag patterns such as main, release/*, tags/v*, got ${bad.map((b) => quote(b)).join(', ')}`,
      });
      return z.NEVER;
    }
    return refs;
  });

/** The settings the runbook file may also supply (keys = input names). */
export const settingsShape = {
  gates: gateList(),
  'warn-only': gateList({ none: true }),
  'ci-checks': z.string().transform(parseList),
  'ci-wait': duration({ max: 6 * HOUR }),
  'min-approvals': integer(0, 100),
  'fail-on-severity': severity(),
  'require-ticket': bool(),
  'ticket-pattern': regex(),
  'ticket-label': safeName('a label name'),
  'allowed-refs': refList(),
  'deploy-windows': lines(),
  freeze: lines(),
  timezone: text(),
  'emergency-approvals': integer(1, 100),
  // Not timers: statuses older than 90 days are gone anyway.
  soak: duration({ max: 90 * DAY }),
  'soak-environment': safeName('an environment name'),
  'backup-max-age': duration({ max: 366 * DAY }),
  'backup-artifact-prefix': safeName('an artifact name prefix'),
  'backup-manifest': text(),
  'health-url': httpUrl(),
  'health-timeout': duration({ min: 1, max: HOUR }),
  'required-env': envNames(),
  'database-timeout': duration({ min: 1, max: 10 * MINUTE }),
  'require-reviewers': bool(),
  'require-self-review-off': bool(),
} as const;

export const inputSchema = z.object({
  environment: safeName('an environment name'),
  sha: optional(
    z
      .string()
      .regex(/^\s*[0-9a-fA-F]{40}\s*$/, 'expected a full 40-character commit SHA')
      .transform((s) => s.trim().toLowerCase()),
  ),
  ref: optional(safeName('a branch or tag name')),
  token: optional(text()),
  'security-token': optional(text()),
  runbook: z.string(),
  ticket: optional(safeName('a ticket reference such as CHG0031 or #123')),
  emergency: optional(bool()),
  hotfix: optional(bool()),
  'database-url': optional(text()),
  gates: optional(settingsShape.gates),
  'warn-only': optional(settingsShape['warn-only']),
  'ci-checks': optional(settingsShape['ci-checks']),
  'ci-wait': optional(settingsShape['ci-wait']),
  'min-approvals': optional(settingsShape['min-approvals']),
  'fail-on-severity': optional(settingsShape['fail-on-severity']),
  'require-ticket': optional(settingsShape['require-ticket']),
  'ticket-pattern': optional(settingsShape['ticket-pattern']),
  'ticket-label': optional(settingsShape['ticket-label']),
  'allowed-refs': optional(settingsShape['allowed-refs']),
  'deploy-windows': optional(settingsShape['deploy-windows']),
  freeze: optional(settingsShape.freeze),
  timezone: optional(settingsShape.timezone),
  'emergency-approvals': optional(settingsShape['emergency-approvals']),
  soak: optional(settingsShape.soak),
  'soak-environment': optional(settingsShape['soak-environment']),
  'backup-max-age': optional(settingsShape['backup-max-age']),
  'backup-artifact-prefix': optional(settingsShape['backup-artifact-prefix']),
  'backup-manifest': optional(settingsShape['backup-manifest']),
  'health-url': optional(settingsShape['health-url']),
  'health-timeout': optional(settingsShape['health-timeout']),
  'required-env': optional(settingsShape['required-env']),
  'database-timeout': optional(settingsShape['database-timeout']),
  'require-reviewers': optional(settingsShape['require-reviewers']),
  'require-self-review-off': optional(settingsShape['require-self-review-off']),
});

export type PreflightInputs = z.output<typeof inputSchema>;
type Settings = Partial<{ [K in keyof typeof settingsShape]: z.output<(typeof settingsShape)[K]> }>;

export const DEFAULTS = {
  ciWaitMs: 0,
  ciPollMs: 10_000,
  minApprovals: 1,
  failOnSeverity: 'high' as Severity,
  ticketPattern: /[A-Z][A-Z0-9]+-\d+|#\d+/,
  timezone: 'UTC',
  emergencyApprovals: 2,
  soakMs: 24 * 3_600_000,
  soakEnvironment: 'staging',
  backupMaxAgeMs: 24 * 3_600_000,
  healthTimeoutMs: 30_000,
  databaseTimeoutMs: 10_000,
} as const;

/**
 * What a hotfix (input `hotfix: true`) changes when neither an input nor the runbook's `hotfix` section says
 * otherwise. These come before the `preflight` section; every other key falls back to it.
 */
export const HOTFIX_DEFAULTS = {
  /** The seeds' abbreviated soak of 15 minutes (or the preflight soak, when that is shorter). */
  soakMs: 15 * MINUTE,
  /** Added to the preflight section's warn-only: a hotfix goes out whatever the windows and freezes say. */
  warnOnly: ['window'] as readonly GateName[],
} as const;

export interface PreflightConfig {
  environment: string;
  /** The commit checked. */
  sha: string;
  /** The ref the commit was named by (shown; resolved to `sha` when `sha` was not given). */
  ref: string;
  /** True when `sha` must be looked up from `ref` first. */
  resolveRef: boolean;
  token: string;
  securityToken: string;
  gates: GateName[];
  warnOnly: GateName[];
  ci: { checks: string[]; waitMs: number; pollMs: number };
  reviews: { minApprovals: number };
  security: { failOn: Severity };
  ticket: { required: boolean; given?: string; pattern: RegExp; label?: string };
  ref_: { allowed: string[] };
  window: {
    windows: DeployWindow[];
    freezes: Freeze[];
    timezone: string;
    emergency: boolean;
    emergencyApprovals: number;
  };
  soak: { ms: number; environment: string };
  backup: { maxAgeMs: number; prefix: string; manifest?: string };
  health: { checks: CheckSpec[]; timeoutMs: number };
  env: { names: string[] };
  database: { url?: string; timeoutMs: number };
  protection: { requireReviewers: boolean; requireSelfReviewOff: boolean };
  runbookFile?: string;
  /**
   * Set for a hotfix (input `hotfix: true`): what differs from the preflight of a normal release, one line each
   * ("soak 15m instead of 24h (hotfix)"), and where the hotfix settings came from.
   */
  hotfix?: { changes: string[]; section?: string };
}

export function getInputs(raw: RawInputs = readRawInputs(Object.keys(inputSchema.shape))): PreflightInputs {
  return parseInputs(inputSchema, raw, { secret: ['token', 'security-token', 'database-url'] });
}

const DURATION_KEYS = new Set(['ci-wait', 'soak', 'backup-max-age', 'health-timeout', 'database-timeout']);

type SectionName = 'preflight' | 'hotfix';

/** The runbook's `environments.<name>.<section>` (validated by the runbook schema), as settings. */
function fileSettings(runbook: LoadedRunbook | undefined, environment: string, name: SectionName): Settings {
  const section = (
    runbook?.environment as Partial<Record<SectionName, Record<string, unknown>>> | undefined
  )?.[name];
  if (!section) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(section)) {
    const schema = settingsShape[k as keyof typeof settingsShape] as z.ZodType | undefined;
    if (!schema || v === undefined) continue;
    // The runbook schema already turned durations into milliseconds; lists may be YAML sequences.
    if (DURATION_KEYS.has(k)) {
      out[k] = v;
      continue;
    }
    const r = schema.safeParse(Array.isArray(v) ? v.map(String).join('\n') : v);
    if (!r.success)
      throw new ConfigurationError(
        `The runbook ${runbook!.file}: environments.${environment}.${name}.${k}: ${r.error.issues[0]?.message ?? 'invalid'}`,
      );
    out[k] = r.data;
  }
  return out as Settings;
}

export interface ResolveContext {
  workspace: string;
  sha: string;
  ref: string;
}

/** The runbook's settings under the inputs: `preflight`, and for a hotfix `hotfix` over it. */
interface Layers {
  preflight: Settings;
  hotfix?: Settings;
}

/**
 * Merge inputs over the runbook's preflight section over the defaults, and check the result makes sense. For a
 * hotfix (input `hotfix: true`): inputs over the runbook's `hotfix` section over the hotfix defaults (soak,
 * warn-only) over the `preflight` section over the defaults; a hotfix is an emergency.
 */
export function resolveConfig(
  inputs: PreflightInputs,
  runbook: LoadedRunbook | undefined,
  rc: ResolveContext,
): PreflightConfig {
  const hotfix = inputs.hotfix ?? false;
  if (hotfix && inputs.emergency === false)
    throw new ConfigurationError(
      'Input "emergency": false contradicts "hotfix: true" (a hotfix is an emergency: outside the window it needs its approvers); leave "emergency" out.',
    );
  const preflight = fileSettings(runbook, inputs.environment, 'preflight');
  if (!hotfix) return build(inputs, runbook, rc, { preflight });
  const layers: Layers = { preflight, hotfix: fileSettings(runbook, inputs.environment, 'hotfix') };
  const config = build(inputs, runbook, rc, layers);
  // What a normal release would have checked, to say what the hotfix changed. Settings that only make sense
  // together with the hotfix section may not resolve without it: then the hotfix values are listed as they are.
  let normal: PreflightConfig | undefined;
  try {
    normal = build(inputs, runbook, rc, { preflight });
  } catch {
    normal = undefined;
  }
  const hasSection = (runbook?.environment as { hotfix?: object } | undefined)?.hotfix !== undefined;
  config.hotfix = {
    changes: hotfixChanges(config, normal, inputs, layers),
    section: hasSection ? `${runbook!.file}: environments.${inputs.environment}.hotfix` : undefined,
  };
  return config;
}

function build(
  inputs: PreflightInputs,
  runbook: LoadedRunbook | undefined,
  rc: ResolveContext,
  layers: Layers,
): PreflightConfig {
  const file = layers.preflight;
  const hot = layers.hotfix;
  const hotDefaults = hotfixDefaults(layers);
  const pick = <K extends keyof typeof settingsShape>(k: K): Settings[K] =>
    firstDefined(inputs[k] as Settings[K], hot?.[k], hotDefaults[k], file[k]);
  const inLayer = (layer: Settings | undefined, k: string) =>
    (layer as Record<string, unknown> | undefined)?.[k] !== undefined;
  // A hotfix default (the 15m soak) does not turn a gate on by itself.
  const given = (k: keyof typeof settingsShape | 'ticket' | 'database-url') =>
    (inputs as Record<string, unknown>)[k] !== undefined || inLayer(hot, k) || inLayer(file, k);
  /** Where a setting came from, for messages: the input, or the runbook key. */
  const where = (k: string) => {
    if ((inputs as Record<string, unknown>)[k] !== undefined || !runbook) return `Input "${k}"`;
    const section = inLayer(hot, k) ? 'hotfix' : inLayer(file, k) ? 'preflight' : undefined;
    return section
      ? `The runbook ${runbook.file}: environments.${inputs.environment}.${section}.${k}`
      : `Input "${k}"`;
  };

  const token = inputs.token ?? '';
  if (!token)
    throw new ConfigurationError(
      'Input "token": missing; expected a GitHub token (the default is ${{ github.token }}) with checks: read, statuses: read, pull-requests: read, actions: read, deployments: read.',
    );

  // Window and freeze lines, the time zone.
  const timezone = pick('timezone') ?? DEFAULTS.timezone;
  if (!isTimeZone(timezone))
    throw new ConfigurationError(
      `${where('timezone')}: unknown time zone ${quote(timezone)}; expected an IANA name such as Europe/Paris, America/New_York or UTC.`,
    );
  const parseLines = <T>(name: string, values: string[] | undefined, parse: (l: string) => T): T[] =>
    (values ?? []).map((l) => {
      try {
        return parse(l);
      } catch (e) {
        if (e instanceof WindowSyntaxError) throw new ConfigurationError(`${where(name)}: ${e.message}.`);
        throw e;
      }
    });
  const windows = parseLines('deploy-windows', pick('deploy-windows'), parseWindow);
  const freezes = parseLines('freeze', pick('freeze'), parseFreeze);

  // Which gates run.
  const enabled = new Set<GateName>(DEFAULT_GATES);
  if (['require-ticket', 'ticket', 'ticket-pattern', 'ticket-label'].some((k) => given(k as never)))
    enabled.add('ticket');
  if (given('allowed-refs')) enabled.add('ref');
  if (windows.length || freezes.length) enabled.add('window');
  if (given('soak') || given('soak-environment')) enabled.add('soak');
  if (given('backup-max-age') || given('backup-artifact-prefix') || given('backup-manifest'))
    enabled.add('backup');
  if (given('health-url') || given('health-timeout')) enabled.add('health');
  if (given('required-env')) enabled.add('env');
  if (given('database-url')) enabled.add('database');
  const only = pick('gates');
  const gates = only ? GATES.filter((g) => only.includes(g)) : GATES.filter((g) => enabled.has(g));
  const warnOnly = pick('warn-only') ?? [];

  // Health: the runbook's smoke checks, or health-url.
  const env = runbook?.environment;
  const healthUrl = pick('health-url');
  const smokeChecks = env?.smoke?.checks ?? (env?.url ? [checksSchema.element.parse({ url: env.url })] : []);
  const healthChecks = healthUrl ? [checksSchema.element.parse({ url: healthUrl })] : smokeChecks;

  const needs = (gate: GateName, ok: boolean, what: string) => {
    if (gates.includes(gate) && !ok)
      throw new ConfigurationError(`${where('gates')}: the gate ${gate} needs ${what}.`);
  };
  needs('ref', !!pick('allowed-refs')?.length, 'the input "allowed-refs" (e.g. main, tags/v*)');
  needs('window', windows.length + freezes.length > 0, 'the input "deploy-windows" or "freeze"');
  needs('env', !!pick('required-env')?.length, 'the input "required-env"');
  needs('database', !!inputs['database-url'], 'the input "database-url" (from a secret)');
  needs(
    'health',
    healthChecks.length > 0,
    `the input "health-url", or smoke checks for environment "${inputs.environment}" in the runbook file`,
  );

  // A database URL that cannot be parsed is bad input: say so before any request (the password is never echoed).
  if (inputs['database-url']) parseDatabaseUrl(inputs['database-url'], { label: 'Input "database-url"' });

  const prod = /prod/i.test(inputs.environment);
  const sha = inputs.sha ?? (inputs.ref ? '' : rc.sha);
  if (!sha && !inputs.ref)
    throw new ConfigurationError(
      'Input "sha": missing, and GITHUB_SHA is not set; give the commit to check.',
    );
  return {
    environment: inputs.environment,
    sha,
    ref: inputs.ref ?? rc.ref.replace(/^refs\/(heads|tags)\//, ''),
    resolveRef: !sha,
    token,
    securityToken: inputs['security-token'] || token,
    gates,
    warnOnly,
    ci: {
      checks: pick('ci-checks') ?? [],
      waitMs: pick('ci-wait') ?? DEFAULTS.ciWaitMs,
      pollMs: DEFAULTS.ciPollMs,
    },
    reviews: { minApprovals: pick('min-approvals') ?? DEFAULTS.minApprovals },
    security: { failOn: pick('fail-on-severity') ?? DEFAULTS.failOnSeverity },
    ticket: {
      required: pick('require-ticket') ?? true,
      given: inputs.ticket,
      pattern: pick('ticket-pattern') ?? DEFAULTS.ticketPattern,
      label: pick('ticket-label'),
    },
    ref_: { allowed: pick('allowed-refs') ?? [] },
    window: {
      windows,
      freezes,
      timezone,
      // A hotfix is an emergency (an explicit `emergency: false` was refused above).
      emergency: hot ? true : (inputs.emergency ?? false),
      emergencyApprovals: pick('emergency-approvals') ?? DEFAULTS.emergencyApprovals,
    },
    soak: {
      ms: pick('soak') ?? DEFAULTS.soakMs,
      environment: pick('soak-environment') ?? DEFAULTS.soakEnvironment,
    },
    backup: {
      maxAgeMs: pick('backup-max-age') ?? DEFAULTS.backupMaxAgeMs,
      prefix: pick('backup-artifact-prefix') ?? `backup-${inputs.environment}-`,
      manifest: pick('backup-manifest'),
    },
    health: {
      checks: nameChecks(healthChecks),
      timeoutMs: pick('health-timeout') ?? DEFAULTS.healthTimeoutMs,
    },
    env: { names: pick('required-env') ?? [] },
    database: {
      url: inputs['database-url'],
      timeoutMs: pick('database-timeout') ?? DEFAULTS.databaseTimeoutMs,
    },
    protection: {
      requireReviewers: pick('require-reviewers') ?? prod,
      requireSelfReviewOff: pick('require-self-review-off') ?? prod,
    },
    runbookFile: env ? runbook?.file : undefined,
  };
}

/** The hotfix defaults, given the preflight section: the shorter soak, and window added to warn-only. */
function hotfixDefaults(layers: Layers): Settings {
  if (!layers.hotfix) return {};
  const soak = layers.preflight.soak;
  return {
    soak: Math.min(HOTFIX_DEFAULTS.soakMs, soak ?? DEFAULTS.soakMs),
    'warn-only': [...new Set([...(layers.preflight['warn-only'] ?? []), ...HOTFIX_DEFAULTS.warnOnly])],
  };
}

const listed = (items: readonly string[], none = 'none') => (items.length ? items.join(', ') : none);

/** The settings a hotfix may change, by gate, as shown (a health check by name: its URL may carry a token). */
const SHOWN: ReadonlyArray<{
  gate: GateName;
  key: keyof typeof settingsShape;
  show: (c: PreflightConfig) => string;
}> = [
  { gate: 'soak', key: 'soak', show: (c) => formatDuration(c.soak.ms) },
  { gate: 'soak', key: 'soak-environment', show: (c) => c.soak.environment },
  { gate: 'window', key: 'emergency-approvals', show: (c) => String(c.window.emergencyApprovals) },
  { gate: 'window', key: 'deploy-windows', show: (c) => listed(c.window.windows.map((w) => w.text)) },
  { gate: 'window', key: 'freeze', show: (c) => listed(c.window.freezes.map((f) => f.text)) },
  { gate: 'window', key: 'timezone', show: (c) => c.window.timezone },
  { gate: 'ci', key: 'ci-checks', show: (c) => listed(c.ci.checks, 'every check present') },
  { gate: 'ci', key: 'ci-wait', show: (c) => formatDuration(c.ci.waitMs) },
  { gate: 'reviews', key: 'min-approvals', show: (c) => String(c.reviews.minApprovals) },
  { gate: 'security', key: 'fail-on-severity', show: (c) => c.security.failOn },
  { gate: 'ticket', key: 'require-ticket', show: (c) => String(c.ticket.required) },
  { gate: 'ticket', key: 'ticket-pattern', show: (c) => c.ticket.pattern.source },
  { gate: 'ticket', key: 'ticket-label', show: (c) => c.ticket.label ?? 'none' },
  { gate: 'ref', key: 'allowed-refs', show: (c) => listed(c.ref_.allowed) },
  { gate: 'backup', key: 'backup-max-age', show: (c) => formatDuration(c.backup.maxAgeMs) },
  { gate: 'backup', key: 'backup-artifact-prefix', show: (c) => c.backup.prefix },
  { gate: 'backup', key: 'backup-manifest', show: (c) => c.backup.manifest ?? 'none' },
  { gate: 'health', key: 'health-url', show: (c) => listed(c.health.checks.map((h) => h.name)) },
  { gate: 'health', key: 'health-timeout', show: (c) => formatDuration(c.health.timeoutMs) },
  { gate: 'env', key: 'required-env', show: (c) => listed(c.env.names) },
  { gate: 'database', key: 'database-timeout', show: (c) => formatDuration(c.database.timeoutMs) },
  { gate: 'protection', key: 'require-reviewers', show: (c) => String(c.protection.requireReviewers) },
  {
    gate: 'protection',
    key: 'require-self-review-off',
    show: (c) => String(c.protection.requireSelfReviewOff),
  },
];

/**
 * What the hotfix changed against a normal release's preflight (`normal`), one line each, for the summary and
 * the report: "soak 15m instead of 24h (hotfix)", "window: warning only (hotfix)". Without `normal` (the
 * settings do not resolve without the hotfix section), the settings the hotfix supplied, as they are.
 */
function hotfixChanges(
  hot: PreflightConfig,
  normal: PreflightConfig | undefined,
  inputs: PreflightInputs,
  layers: Layers,
): string[] {
  const out: string[] = [];
  const window = hot.gates.includes('window');
  if (!normal) {
    const fromHotfix = (k: string) =>
      (inputs as Record<string, unknown>)[k] === undefined &&
      ((layers.hotfix as Record<string, unknown>)[k] !== undefined ||
        (hotfixDefaults(layers) as Record<string, unknown>)[k] !== undefined);
    if (fromHotfix('gates')) out.push(`gates: ${listed(hot.gates)} (hotfix)`);
    if (fromHotfix('warn-only'))
      for (const g of hot.warnOnly.filter((x) => hot.gates.includes(x)))
        out.push(`${g}: warning only (hotfix)`);
    if (window) out.push(emergencyLine(hot));
    for (const f of SHOWN)
      if (hot.gates.includes(f.gate) && fromHotfix(f.key)) out.push(`${f.key} ${f.show(hot)} (hotfix)`);
    return out;
  }
  for (const g of hot.gates.filter((x) => !normal.gates.includes(x))) out.push(`${g}: checked (hotfix)`);
  for (const g of normal.gates.filter((x) => !hot.gates.includes(x))) out.push(`${g}: not checked (hotfix)`);
  for (const g of hot.gates) {
    const warns = hot.warnOnly.includes(g);
    const warned = normal.gates.includes(g) ? normal.warnOnly.includes(g) : false;
    if (warns && !warned) out.push(`${g}: warning only (hotfix)`);
    if (!warns && warned) out.push(`${g}: enforced (hotfix)`);
  }
  if (window && !normal.window.emergency) out.push(emergencyLine(hot));
  for (const f of SHOWN) {
    if (!hot.gates.includes(f.gate)) continue;
    const now = f.show(hot);
    const before = f.show(normal);
    if (now === before) continue;
    out.push(
      normal.gates.includes(f.gate)
        ? `${f.key} ${now} instead of ${before} (hotfix)`
        : `${f.key} ${now} (hotfix)`,
    );
  }
  return out;
}

const emergencyLine = (c: PreflightConfig) =>
  `emergency: outside the window, ${c.window.emergencyApprovals} distinct approvers of this run other than the actor (hotfix)`;
