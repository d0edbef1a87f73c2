// A user's own data on the new-job page: the dataset choices, the preview of a file before it is
// uploaded, and what POST /api/datasets's refusals mean. Pure functions (test/datasets.test.ts).
//
// The preview reads a CSV as tribunal/datasets/ingest.py does (delimiter sniffed among , ; tab |,
// lines numbered from the header as line 1, blank lines skipped) so that the problems it points
// out carry the same line and column the backend would name. The backend stays the authority: it
// reads the whole file, the preview only its first lines.

import { ApiError, type DatasetInfo, type DatasetUploadQuery } from './api';
import { formatBytes, formatDuration, groupThousands, shortHash } from './format';

/** Largest file the dashboard sends: the backend's default TRIBUNAL_DATASET_MAX_BYTES (256 MiB).
 * A backend set lower refuses with 413, and its message is shown. */
export const DATASET_MAX_BYTES = 256 * 1024 * 1024;

/** Lines of a CSV shown in the preview (besides the header). */
export const PREVIEW_ROWS = 10;

/** Bytes read from the start of a CSV for the preview. */
export const PREVIEW_BYTES = 64 * 1024;

export type DatasetFormat = 'csv' | 'parquet' | 'npy' | 'npz';
export type DatasetTask = 'classification' | 'regression';
export type TextTokenizer = NonNullable<DatasetUploadQuery['tokenizer']>;

// ---------------------------------------------------------------- a text column (tribunal/datasets/text.py)

/** The tokenizers a text column can be read with, as POST /api/datasets names them; the first is the default. */
export const TEXT_TOKENIZERS: readonly { value: TextTokenizer; label: string }[] = [
  { value: 'minilm', label: 'MiniLM WordPiece (30,522 ids)' },
  { value: 'bytes', label: 'UTF-8 bytes (259 ids)' },
];

/** Token ids per text: [CLS], at most context − 2 tokens, [SEP], then padding (MIN_CONTEXT..MAX_CONTEXT, default 32). */
export const DEFAULT_CONTEXT = 32;
export const MIN_CONTEXT = 3;
export const MAX_CONTEXT = 512;

/** The formats a text column can come from: NumPy arrays hold numbers only. */
export function takesTextColumn(format: DatasetFormat | null): boolean {
  return format === 'csv' || format === 'parquet';
}

/** Why a context length is refused (not a whole number from 3 to 512); undefined if it is one. */
export function contextProblem(text: string): string | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < MIN_CONTEXT || Number(t) > MAX_CONTEXT) {
    return `the context length is a whole number of token ids from ${MIN_CONTEXT} to ${MAX_CONTEXT}`;
  }
  return undefined;
}

/** The query of POST /api/datasets that says what to make of a file: with a text column, its tokenizer and context (sent only with it). */
export function uploadQuery(
  file: { name: string },
  format: DatasetFormat,
  choice: { name: string; target: string; task: DatasetTask; text?: string; tokenizer?: TextTokenizer; context?: string },
): DatasetUploadQuery {
  const target = choice.target.trim();
  const query: DatasetUploadQuery = { name: choice.name.trim(), target: target ? [target] : [], task: choice.task, filename: file.name, format };
  const text = choice.text?.trim();
  if (text && takesTextColumn(format)) {
    query.text = text;
    query.tokenizer = choice.tokenizer ?? TEXT_TOKENIZERS[0].value;
    query.context = choice.context?.trim() ? Number(choice.context.trim()) : DEFAULT_CONTEXT;
  }
  return query;
}

/** What `<input type="file" accept>` offers. */
export const DATASET_ACCEPT = '.csv,.tsv,.txt,.parquet,.pq,.npy,.npz,text/csv,text/tab-separated-values';

/** The format the backend reads a file as, from its suffix (ingest.detect_format); null if none fits. */
export function datasetFormat(fileName: string): DatasetFormat | null {
  const suffix = /\.([^./\\]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? '';
  if (suffix === 'csv' || suffix === 'tsv' || suffix === 'txt') return 'csv';
  if (suffix === 'parquet' || suffix === 'pq') return 'parquet';
  if (suffix === 'npy' || suffix === 'npz') return suffix;
  return null;
}

/** "data/iris.train.csv" -> "iris.train": the default dataset name. */
export function fileStem(fileName: string): string {
  const base = fileName.split(/[/\\]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  return (dot > 0 ? base.slice(0, dot) : base).slice(0, 100);
}

/** Why a file is not sent at all (too large, empty, an unknown suffix); undefined if it may be. */
export function fileRefusal(file: { name: string; size: number }, maxBytes = DATASET_MAX_BYTES): string | undefined {
  if (datasetFormat(file.name) === null) {
    return `${file.name}: choose a CSV (.csv, .tsv, .txt), Parquet (.parquet) or NumPy (.npy, .npz) file`;
  }
  if (file.size === 0) return `${file.name} is empty`;
  if (file.size > maxBytes) {
    return `${file.name} is ${formatBytes(file.size)}; the dashboard uploads at most ${formatBytes(maxBytes)}. ` +
      'Prepare a larger file locally with `tribunal dataset add FILE`, which uploads the prepared dataset.';
  }
  return undefined;
}

// ---------------------------------------------------------------- dataset choices

export interface DatasetOption {
  /** What goes in the spec's `dataset` field: a built-in name or an uploaded dataset's hash. */
  value: string;
  label: string;
  group: 'Built in' | 'Uploaded';
}

function targetsText(d: DatasetInfo): string {
  if (d.target_kind === 'class') return `${d.num_classes ?? '?'} classes`;
  if (d.target_kind === 'regression') return d.targets === 1 ? 'regression' : `regression, ${d.targets} targets`;
  return 'next token';
}

/** The dataset selector's options: built-in ones by name, then uploaded ones by name, size and a short hash. */
export function datasetOptions(list: DatasetInfo[]): DatasetOption[] {
  const builtin = list.filter((d) => !d.uploaded).map((d): DatasetOption => ({ value: d.ref, label: `${d.name} (${targetsText(d)})`, group: 'Built in' }));
  const uploaded = list
    .filter((d) => d.uploaded)
    .map((d): DatasetOption => ({
      value: d.ref,
      label: `${d.name} · ${groupThousands(String(d.rows))} rows · ${d.features} features · ${targetsText(d)} · ${shortHash(d.ref)}`,
      group: 'Uploaded',
    }));
  return [...builtin, ...uploaded];
}

/** The list with a just-uploaded dataset in it: after the built-in ones, first of the uploads (as GET /api/datasets orders them). */
export function withUploaded(list: DatasetInfo[], dataset: DatasetInfo): DatasetInfo[] {
  const others = list.filter((d) => d.ref !== dataset.ref);
  return [...others.filter((d) => !d.uploaded), dataset, ...others.filter((d) => d.uploaded)];
}

// ---------------------------------------------------------------- CSV preview

export interface CsvPreview {
  delimiter: string;
  /** The header's column names, trimmed (as the backend trims them). */
  header: string[];
  /** The first data rows, each with the line it ends on (the header is line 1). */
  rows: { line: number; fields: string[] }[];
  /** Whether the file has more than the rows read. */
  truncated: boolean;
}

const DELIMITERS = [',', ';', '\t', '|'];

/** Records of `text`: fields split on `delimiter`, "quoted" fields holding delimiters, newlines and
 * doubled quotes; each with the line it ends on. A record cut off by the end of a partial read is
 * left out (`complete` false). */
function* records(text: string, delimiter: string, complete: boolean): Generator<{ line: number; fields: string[] }> {
  let line = 1;
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    fields.push(field);
    const record = { line, fields };
    fields = [];
    field = '';
    return record;
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === '\n') line += 1;
        field += c;
      }
      i += 1;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      field = '';
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      const record = endRecord();
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      yield record;
      line += 1;
    } else {
      field += c;
    }
    i += 1;
  }
  if (complete && (field !== '' || fields.length > 0)) yield endRecord();
}

/** The delimiter of a CSV sample: of , ; tab |, the one the header line has and the most of the first
 * lines have as often (a ragged line does not hide it), more of them on a tie; a comma if none fits. */
export function sniffDelimiter(sample: string): string {
  const lines = sample.split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, 10);
  if (lines.length > 1 && !sample.endsWith('\n')) lines.pop();
  let best = ',';
  let bestScore: [number, number] = [0, 0];
  for (const d of DELIMITERS) {
    const counts = lines.map((l) => l.replace(/"[^"]*"/g, '').split(d).length - 1);
    if (counts.length === 0 || counts[0] === 0) continue;
    const score: [number, number] = [counts.filter((n) => n === counts[0]).length, counts[0]];
    if (score[0] > bestScore[0] || (score[0] === bestScore[0] && score[1] > bestScore[1])) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

/**
 * The header and first rows of a CSV's start (`complete`: whether `text` is the whole file). Blank
 * lines are skipped as the backend skips them; a byte-order mark is dropped.
 */
export function parseCsvPreview(text: string, { complete = true, maxRows = PREVIEW_ROWS, delimiter }: { complete?: boolean; maxRows?: number; delimiter?: string } = {}): CsvPreview | null {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const sep = delimiter ?? sniffDelimiter(body);
  let header: string[] | null = null;
  const rows: CsvPreview['rows'] = [];
  let truncated = !complete;
  for (const record of records(body, sep, complete)) {
    if (!record.fields.some((f) => f.trim() !== '')) continue;
    if (header === null) {
      header = record.fields.map((f) => f.trim());
      continue;
    }
    if (rows.length === maxRows) {
      truncated = true;
      break;
    }
    rows.push(record);
  }
  return header === null ? null : { delimiter: sep, header, rows, truncated };
}

/** A number as Python's `float()` reads it (what the backend parses features with), NaN and inf included. */
export function isPythonFloat(text: string): boolean {
  const t = text.trim();
  const digits = String.raw`\d(?:_?\d)*`;
  const decimal = new RegExp(String.raw`^[+-]?(?:${digits}(?:\.(?:${digits})?)?|\.${digits})(?:[eE][+-]?${digits})?$`);
  return decimal.test(t) || /^[+-]?(?:nan|inf|infinity)$/i.test(t);
}

/**
 * What the backend would refuse in the rows shown, in its words: ragged lines, and (with a target
 * chosen) a missing or non-numeric feature, NaN or infinity, a missing target.
 *
 * With a text column (`text`), its token ids are the features and the file's other columns but
 * the target are left out, so they are not checked: the text column must not be the target (the
 * only problem then), and no text may be empty; a column of numbers only is refused (known only
 * when the whole file is shown).
 */
export function previewProblems(preview: CsvPreview, target: string | undefined, task: DatasetTask, text?: string): string[] {
  const textColumn = text?.trim() || undefined;
  // Refused with the query, before the file is read.
  if (textColumn !== undefined && textColumn === target) return [`column '${textColumn}' is both the text and a target`];
  const width = preview.header.length;
  const problems: string[] = [];
  const seen = new Map<string, number>();
  preview.header.forEach((name, i) => {
    const first = seen.get(name);
    if (first !== undefined) problems.push(`the header names column '${name}' twice (columns ${first + 1} and ${i + 1})`);
    else seen.set(name, i);
  });
  const targetIndex = target === undefined ? -1 : preview.header.indexOf(target);
  const textIndex = textColumn === undefined ? -1 : preview.header.indexOf(textColumn);
  const texts: { line: number; value: string }[] = [];
  for (const { line, fields } of preview.rows) {
    if (fields.length !== width) {
      problems.push(`line ${line} has ${fields.length} fields; the header has ${width} (a ragged row)`);
      continue;
    }
    if (targetIndex < 0) continue;
    fields.forEach((raw, i) => {
      const value = raw.trim();
      const column = preview.header[i];
      const isTarget = i === targetIndex;
      if (textIndex >= 0 && !isTarget) {
        if (i !== textIndex) return; // left out
        if (value === '') problems.push(`line ${line}, column '${column}': the text is empty (every row needs a text to tokenize)`);
        else texts.push({ line, value });
        return;
      }
      const what = isTarget ? 'target' : 'feature';
      if (value === '') problems.push(`line ${line}, column '${column}': the ${what} is missing (an empty field)`);
      else if (isTarget && task === 'classification') {
        if (/^[+-]?(?:nan|inf|infinity)$/i.test(value)) problems.push(`line ${line}, column '${column}': '${value}' is not a class label (NaN or infinity)`);
      } else if (!isPythonFloat(value)) problems.push(`line ${line}, column '${column}': '${value.slice(0, 40)}' is not a number (every ${what} must be numeric)`);
      else if (!Number.isFinite(Number(value.replace(/_/g, '')))) {
        problems.push(`line ${line}, column '${column}': '${value}' is not a finite number (NaN and infinity are refused)`);
      }
    });
  }
  const ragged = preview.rows.some((row) => row.fields.length !== width);
  if (textIndex >= 0 && !preview.truncated && !ragged && texts.length === preview.rows.length && texts.length > 0 && texts.every((t) => isPythonFloat(t.value))) {
    problems.push(
      `column '${textColumn}' holds numbers, not text (line ${texts[0].line}: '${texts[0].value.slice(0, 40)}', and every other row): ` +
        '--text names a column of text; a numeric column is a feature (leave out --text)',
    );
  }
  return problems;
}

/** A column other than the target whose shown values are not all numbers: the likely text column, offered in a hint; undefined if none. */
export function guessTextColumn(preview: CsvPreview, target: string | undefined): string | undefined {
  return preview.header.find(
    (column, i) =>
      column !== target &&
      preview.rows.some((row) => row.fields.length === preview.header.length && row.fields[i].trim() !== '' && !isPythonFloat(row.fields[i])),
  );
}

/** The column the preview proposes as the target: one named like a label, else the last. */
export function guessTarget(header: string[]): string | undefined {
  const named = header.find((h) => /^(label|labels|target|class|y|species|outcome)$/i.test(h));
  return named ?? header[header.length - 1];
}

// ---------------------------------------------------------------- refusals

/** A refusal of POST /api/datasets, told so the user knows what to change (the backend's `detail`
 * names the line and column of a bad value). */
export function explainDatasetRefusal(error: unknown): Error | unknown {
  if (!(error instanceof ApiError)) return error;
  switch (error.status) {
    case 404:
    case 405:
      return new Error('This backend has no POST /api/datasets (it predates uploads): update the backend, or prepare the file with `tribunal dataset add FILE`.');
    case 400:
    case 422:
      return new Error(`The backend refused the file: ${error.detail}`);
    case 413:
      return new Error(`The file is too large for this backend: ${error.detail}`);
    case 429:
      return new Error(
        `The backend is limiting uploads: ${error.detail}` +
          (error.retryAfterS === undefined ? '' : ` — upload again in ${formatDuration(error.retryAfterS)}.`),
      );
    default:
      return error;
  }
}
