// Runs clang and streams what it prints: a JSON AST (one callback per top-level declaration, so
// memory is bounded by the largest declaration, not by the AST of everything the header
// includes, which can run to hundreds of MB) or plain lines (the preprocessor's output).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { JSONParser } from '@streamparser/json';
import { readable } from '../compile.js';
import { InitError } from './init-error.js';

/** A node of clang's JSON AST; every field is read defensively. */
export type AstNode = Readonly<Record<string, unknown>>;

export interface ClangRun {
  readonly code: number;
  readonly stderr: string;
}

const CLANG_TIMEOUT_MS = 120_000;
const STDERR_LIMIT = 256 * 1024;

/**
 * `filtered`: clang ran with -ast-dump-filter and printed one JSON value per matching
 * declaration (`separate` is then true: clang starts each with fresh location state); otherwise
 * it printed one TranslationUnitDecl, whose inner declarations are handed over one by one.
 */
export async function streamAst(clang: string, args: readonly string[], filtered: boolean, onDecl: (decl: AstNode, separate: boolean) => void): Promise<ClangRun> {
  const parser = new JSONParser(filtered ? { paths: ['$'], keepStack: false, separator: '' } : { paths: ['$.inner.*'], keepStack: false });
  // The parser reports through callbacks: the first failure stops the reading, the rest of
  // clang's output is drained unread.
  const state: { failure: Error | null } = { failure: null };
  parser.onValue = ({ value }) => {
    if (state.failure || typeof value !== 'object' || value === null || Array.isArray(value)) return;
    try { onDecl(value as AstNode, filtered); } catch (error) { state.failure = error as Error; }
  };
  parser.onError = (error) => { state.failure ??= error; };
  const run = await runClang(clang, args, (chunk) => { if (!state.failure) parser.write(chunk); });
  if (!state.failure && !parser.isEnded) parser.end();
  if (run.code !== 0 || !state.failure) return run;
  if (state.failure instanceof InitError) throw state.failure;
  throw new InitError('clang-failed', `cbox init: cannot read clang's JSON AST (${state.failure.message})`, run.stderr);
}

/** Each line clang prints (for the preprocessor's output). */
export async function streamLines(clang: string, args: readonly string[], onLine: (line: string) => void): Promise<ClangRun> {
  const { child, done } = startClang(clang, args);
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', onLine);
  return done;
}

function runClang(clang: string, args: readonly string[], onChunk: (chunk: Uint8Array) => void): Promise<ClangRun> {
  const { child, done } = startClang(clang, args);
  child.stdout.on('data', onChunk);
  return done;
}

function startClang(clang: string, args: readonly string[]) {
  const child = spawn(clang, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: CLANG_TIMEOUT_MS });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => { if (stderr.length < STDERR_LIMIT) stderr += text; });
  const done = new Promise<ClangRun>((resolve, reject) => {
    child.on('error', (error) => reject(new InitError('clang-failed', `cbox init: cannot run ${clang}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (signal) reject(new InitError('clang-failed', `cbox init: ${clang} was stopped by ${signal}${signal === 'SIGTERM' ? ` (no answer within ${CLANG_TIMEOUT_MS / 1000} s)` : ''}`, stderr.trim()));
      else resolve({ code: code ?? 1, stderr: readable(stderr.trim()) });
    });
  });
  return { child, done };
}
