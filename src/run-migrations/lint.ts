/**
 * Lint for PostgreSQL statements known to take strong locks or rewrite big tables. Each finding names the file
 * and line and the safer pattern. Statements on a table created in the same file are not flagged (an empty new
 * table is cheap to lock).
 */
import { lineAt, type Statement } from './sql-split.js';

export interface LintFinding {
  rule:
    | 'create-index'
    | 'alter-column-type'
    | 'add-column-not-null'
    | 'add-column-default'
    | 'drop-column'
    | 'drop-table';
  file: string;
  line: number;
  message: string;
}

/** Blank out comments and quoted text (same length), so rules match only code and offsets stay valid. */
function codeOnly(text: string): string {
  return text
    .replace(/\$([A-Za-z_]\w*)?\$[\s\S]*?\$\1\$/g, (m) => ' '.repeat(m.length))
    .replace(/'(?:[^']|'')*'/g, (m) => ' '.repeat(m.length))
    .replace(/--[^\n]*/g, (m) => ' '.repeat(m.length))
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '));
}

const IDENT = String.raw`(?:"[^"]+"|[A-Za-z_][\w$]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w$]*))?`;

function tableKey(name: string): string {
  const parts = name.split('.');
  const last = parts[parts.length - 1]!;
  return last.startsWith('"') ? last.slice(1, -1) : last.toLowerCase();
}

/**
 * @param serverVersionNum PostgreSQL's server_version_num (e.g. 150004), when known: ADD COLUMN ... DEFAULT
 * rewrites the table before 11.
 */
export function lintPostgres(
  file: string,
  sql: string,
  statements: readonly Statement[],
  serverVersionNum?: number,
): LintFinding[] {
  const findings: LintFinding[] = [];
  const created = new Set<string>();
  for (const s of statements) {
    const code = codeOnly(s.text);
    const at = (re: RegExp) => {
      const m = re.exec(code);
      return m ? lineAt(sql, s.start + m.index) : s.line;
    };
    const add = (rule: LintFinding['rule'], line: number, message: string) =>
      findings.push({ rule, file, line, message });

    const ct = new RegExp(
      String.raw`^\s*CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${IDENT})`,
      'i',
    ).exec(code);
    if (ct) {
      created.add(tableKey(ct[1]!));
      continue;
    }
    const ci = new RegExp(
      String.raw`^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?[\s\S]*?\bON\s+(?:ONLY\s+)?(${IDENT})`,
      'i',
    ).exec(code);
    if (ci && !ci[2] && !created.has(tableKey(ci[3]!))) {
      add(
        'create-index',
        s.line,
        `CREATE INDEX on ${ci[3]} without CONCURRENTLY blocks every write to the table until the index is built. ` +
          'Safer: CREATE INDEX CONCURRENTLY in a migration of its own whose first line is `-- runbook:no-transaction` ' +
          '(it cannot run inside a transaction; on failure drop the INVALID index and retry).',
      );
      continue;
    }
    const at_ = new RegExp(
      String.raw`^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(${IDENT})`,
      'i',
    ).exec(code);
    if (at_) {
      const table = at_[1]!;
      if (created.has(tableKey(table))) continue;
      if (/\bALTER\s+(?:COLUMN\s+)?(?:"[^"]+"|\w+)\s+(?:SET\s+DATA\s+)?TYPE\b/i.test(code))
        add(
          'alter-column-type',
          at(/\bALTER\s+(?:COLUMN\s+)?(?:"[^"]+"|\w+)\s+(?:SET\s+DATA\s+)?TYPE\b/i),
          `ALTER COLUMN ... TYPE on ${table} usually rewrites the whole table under an ACCESS EXCLUSIVE lock ` +
            '(reads and writes wait). Safer: add a new column, backfill it in batches, switch the app, then drop the old one.',
        );
      const addCols = [
        ...code.matchAll(
          /\bADD\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|PRIMARY\b|UNIQUE\b|FOREIGN\b|CHECK\b)(?:IF\s+NOT\s+EXISTS\s+)?((?:"[^"]+"|\w+)[^,]*)/gi,
        ),
      ];
      for (const m of addCols) {
        const def = m[1]!;
        const line = lineAt(sql, s.start + m.index);
        const hasDefault = /\bDEFAULT\b/i.test(def);
        if (/\bNOT\s+NULL\b/i.test(def) && !hasDefault)
          add(
            'add-column-not-null',
            line,
            `ADD COLUMN ... NOT NULL without a DEFAULT on ${table} fails as soon as the table has a row, and on servers ` +
              'before PostgreSQL 11 adding it with a DEFAULT rewrites the table. Safer: add the column nullable, backfill in ' +
              'batches, add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL.',
          );
        else if (hasDefault && serverVersionNum !== undefined && serverVersionNum < 110000)
          add(
            'add-column-default',
            line,
            `ADD COLUMN ... DEFAULT on ${table} rewrites the whole table on this server (PostgreSQL before 11). ` +
              'Safer: add the column without a default, set the default separately, backfill in batches.',
          );
      }
      if (
        /\bDROP\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|DEFAULT\b|NOT\b|IDENTITY\b|EXPRESSION\b)(?:IF\s+EXISTS\s+)?(?:"[^"]+"|\w+)/i.test(
          code,
        )
      )
        add(
          'drop-column',
          at(/\bDROP\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|DEFAULT\b|NOT\b|IDENTITY\b|EXPRESSION\b)/i),
          `DROP COLUMN on ${table} breaks the version of the app still running during the deploy (it still reads the column). ` +
            'Safer: release code that no longer uses the column first, then drop it in a later release.',
        );
      continue;
    }
    const dt = new RegExp(String.raw`^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(${IDENT})`, 'i').exec(code);
    if (dt && !created.has(tableKey(dt[1]!)))
      add(
        'drop-table',
        s.line,
        `DROP TABLE ${dt[1]} cannot be undone by a down migration (the data is gone) and breaks the app version still ` +
          'running. Safer: stop using the table in a release first, take a backup (backup-db), then drop it in a later release.',
      );
  }
  return findings;
}
