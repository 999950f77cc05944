/**
 * Splits a migration file into statements, keeping where each starts, so every statement can be run and timed
 * on its own and a server error (PostgreSQL's character position, MySQL's "at line N") maps to a line of the
 * file. Understands quotes, dollar quotes (PostgreSQL), backquotes and backslash escapes (MySQL), line and
 * (nested) block comments. Not understood: MySQL's client-side DELIMITER, PostgreSQL's BEGIN ATOMIC bodies.
 */
import type { Engine } from '../core/db.js';

export interface Statement {
  /** The statement text as sent (from its first token up to, not including, the semicolon). */
  text: string;
  /** Offset of `text` in the file. */
  start: number;
  /** 1-based line of the statement's first token. */
  line: number;
  /** 1-based index among the file's statements. */
  index: number;
}

export function splitStatements(sql: string, engine: Engine): Statement[] {
  const out: Statement[] = [];
  const mysql = engine === 'mysql';
  let i = 0;
  let start = -1; // start of the current statement's first token
  const n = sql.length;
  const push = (end: number) => {
    if (start >= 0) {
      const text = sql.slice(start, end).trimEnd();
      if (text) out.push({ text, start, line: lineAt(sql, start), index: out.length + 1 });
    }
    start = -1;
  };
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      i = skipLine(sql, i);
      continue;
    }
    if (mysql && c === '#') {
      i = skipLine(sql, i);
      continue;
    }
    if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i, !mysql);
      continue;
    }
    if (c === ';') {
      push(i);
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (start < 0) start = i;
    if (c === "'") {
      const backslash = mysql || (i > 0 && /[eE]/.test(sql[i - 1]!) && !/[\w$]/.test(sql[i - 2] ?? ' '));
      i = skipQuoted(sql, i, "'", backslash);
    } else if (c === '"') i = skipQuoted(sql, i, '"', mysql);
    else if (mysql && c === '`') i = skipQuoted(sql, i, '`', false);
    else if (!mysql && c === '$') {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag && !/[\w]/.test(sql[i - 1] ?? ' ')) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
      } else i++;
    } else i++;
  }
  push(n);
  return out;
}

function skipLine(sql: string, i: number): number {
  const nl = sql.indexOf('\n', i);
  return nl < 0 ? sql.length : nl + 1;
}

function skipBlockComment(sql: string, i: number, nested: boolean): number {
  let depth = 0;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth = nested ? depth + 1 : 1;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return i;
}

function skipQuoted(sql: string, i: number, q: string, backslash: boolean): number {
  i++;
  while (i < sql.length) {
    const c = sql[i];
    if (backslash && c === '\\') i += 2;
    else if (c === q) {
      if (sql[i + 1] === q) i += 2;
      else return i + 1;
    } else i++;
  }
  return i;
}

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The file line of a server-reported error position. PostgreSQL: `position` is a 1-based character index
 * into the statement. MySQL: "... at line N" is a 1-based line within the statement.
 */
export function errorLine(
  stmt: Statement,
  sql: string,
  where: { position?: number; statementLine?: number },
): number {
  if (where.position !== undefined && where.position >= 1)
    return lineAt(sql, stmt.start + Math.min(where.position - 1, stmt.text.length));
  if (where.statementLine !== undefined && where.statementLine >= 1)
    return lineAt(sql, stmt.start) + where.statementLine - 1;
  return stmt.line;
}
