/**
 * CLI output: one line per event, as text or as JSON lines (`--json`).
 * stdout carries results and events; stderr carries diagnostics.
 */

/** Writes one record per line. */
export class CliOutput {
  constructor(private readonly json: boolean) {}

  /** One record: `text` in text mode, `{ type, ...data }` in JSON mode. */
  line(type: string, text: string, data: Record<string, unknown> = {}): void {
    process.stdout.write(this.json ? `${JSON.stringify({ type, ...data })}\n` : `${text}\n`);
  }

  /** A diagnostic on stderr (never JSON: it is for people). */
  warn(text: string): void {
    process.stderr.write(`ctp-router: ${text}\n`);
  }
}

/** Compact JSON for a value in a text line (`-` for none). */
export function show(value: unknown): string {
  if (value === undefined) return '-';
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s;
}
