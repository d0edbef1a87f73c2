import { useId, useRef, useState, type KeyboardEvent } from 'react';
import { uploadDataset, type DatasetInfo } from '../lib/api';
import {
  DATASET_ACCEPT,
  DATASET_MAX_BYTES,
  DEFAULT_CONTEXT,
  MAX_CONTEXT,
  MIN_CONTEXT,
  PREVIEW_BYTES,
  TEXT_TOKENIZERS,
  contextProblem,
  datasetFormat,
  explainDatasetRefusal,
  fileRefusal,
  fileStem,
  guessTarget,
  guessTextColumn,
  parseCsvPreview,
  previewProblems,
  takesTextColumn,
  uploadQuery,
  type CsvPreview,
  type DatasetFormat,
  type DatasetTask,
  type TextTokenizer,
} from '../lib/datasets';
import { formatBytes, groupThousands } from '../lib/format';
import { ErrorBox, Hex, Loading, ProgressBar } from './ui';

type UploadState =
  | { phase: 'idle' }
  | { phase: 'sending'; sent: number; total: number }
  | { phase: 'preparing' }
  | { phase: 'done'; dataset: DatasetInfo; text?: string }
  | { phase: 'failed'; error: unknown };

/** What the target field asks for, by format: a column name, or a NumPy column index. */
const TARGET_HINT: Record<Exclude<DatasetFormat, 'csv'>, string> = {
  parquet: 'the name of the target column',
  npy: 'a column index of the 2-D array (0-based; -1 is the last column)',
  npz: 'a column index of its one array; empty for an .npz holding arrays X and y',
};

const DELIMITER_NAME: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

/** What a column of the preview becomes: the target, the text, left out (with a text column), or a feature. */
function columnRole(column: string, target: string, text: string): 'target' | 'text' | 'left-out' | undefined {
  if (column === target) return 'target';
  if (!text) return undefined;
  return column === text ? 'text' : 'left-out';
}

const ROLE_NOTE = { target: ' (target)', text: ' (text)', 'left-out': ' (left out)' } as const;

function PreviewTable({ preview, target, text, fileName }: { preview: CsvPreview; target: string; text: string; fileName: string }) {
  const roles = preview.header.map((column) => columnRole(column, target, text));
  return (
    <div className="table-wrap upload-preview" data-testid="dataset-preview">
      <table className="compact-table">
        <caption>
          {preview.truncated ? `The first ${preview.rows.length} lines` : `All ${preview.rows.length} lines`} of {fileName} ({DELIMITER_NAME[preview.delimiter] ?? preview.delimiter}-separated)
        </caption>
        <thead>
          <tr>
            <th scope="col">line</th>
            {preview.header.map((column, i) => (
              <th scope="col" key={i} className={roles[i]}>
                {column}
                {roles[i] ? ROLE_NOTE[roles[i]] : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((row) => (
            <tr key={row.line} className={row.fields.length === preview.header.length ? undefined : 'ragged'}>
              <td className="muted">{row.line}</td>
              {row.fields.map((field, i) => (
                <td key={i} className={roles[i]}>
                  {field}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * "Use your own data": pick a CSV, Parquet or NumPy file, see its first lines, name the target and
 * the task (and, for CSV or Parquet, optionally a text column with its tokenizer and context length),
 * and upload it (POST /api/datasets). On success `onUploaded` gets the new dataset, which
 * the form then selects; a refusal shows the backend's reason (the line and column at fault).
 */
export function DatasetUpload({ onUploaded }: { onUploaded: (dataset: DatasetInfo) => void }) {
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | undefined>();
  const [preview, setPreview] = useState<CsvPreview | null>(null);
  const [target, setTarget] = useState('');
  const [task, setTask] = useState<DatasetTask>('classification');
  /** The text column ('' for none: every column but the target is a numeric feature). */
  const [text, setText] = useState('');
  const [tokenizer, setTokenizer] = useState<TextTokenizer>(TEXT_TOKENIZERS[0].value);
  const [context, setContext] = useState(String(DEFAULT_CONTEXT));
  const [name, setName] = useState('');
  const [upload, setUpload] = useState<UploadState>({ phase: 'idle' });
  /** The file whose preview is being read: a slower read of an earlier choice is dropped. */
  const reading = useRef<File | null>(null);

  const format = file ? datasetFormat(file.name) : null;
  const busy = upload.phase === 'sending' || upload.phase === 'preparing';
  const withText = takesTextColumn(format) && text.trim() !== '';
  const problems = preview ? previewProblems(preview, target || undefined, task, withText ? text : undefined) : [];
  const textHint = preview && !withText ? guessTextColumn(preview, target || undefined) : undefined;
  const badContext = withText ? contextProblem(context) : undefined;
  const missing = !file || fileError
    ? 'choose a file'
    : !name.trim()
      ? 'name the dataset'
      : !target.trim() && format !== 'npz'
        ? 'choose the target column'
        : withText && text.trim() === target.trim()
          ? 'the text column cannot also be the target'
          : badContext;

  const chooseTarget = (column: string) => {
    setTarget(column);
    // The text column is never the target: choosing it as the target takes it out of the text.
    if (preview && column === text) setText('');
  };

  const choose = async (chosen: File | null) => {
    reading.current = chosen;
    setFile(chosen);
    setPreview(null);
    setUpload({ phase: 'idle' });
    setFileError(undefined);
    setText('');
    if (!chosen) return;
    const refused = fileRefusal(chosen);
    if (refused) {
      setFileError(refused);
      return;
    }
    setName(fileStem(chosen.name));
    const chosenFormat = datasetFormat(chosen.name);
    if (chosenFormat !== 'csv') {
      setTarget(chosenFormat === 'npy' ? '-1' : '');
      return;
    }
    try {
      const text = await chosen.slice(0, PREVIEW_BYTES).text();
      if (reading.current !== chosen) return;
      const parsed = parseCsvPreview(text, { complete: chosen.size <= PREVIEW_BYTES, delimiter: /\.tsv$/i.test(chosen.name) ? '\t' : undefined });
      if (!parsed) {
        setFileError(`${chosen.name} has no header line in its first ${formatBytes(PREVIEW_BYTES)}`);
        return;
      }
      setPreview(parsed);
      setTarget(guessTarget(parsed.header) ?? '');
    } catch (error) {
      if (reading.current === chosen) setFileError(`${chosen.name} could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const send = async () => {
    if (!file || !format || missing || busy) return;
    setUpload({ phase: 'sending', sent: 0, total: file.size });
    try {
      const query = uploadQuery(file, format, { name, target, task, text: withText ? text : undefined, tokenizer, context });
      const dataset = await uploadDataset(file, query, (sent, total) => setUpload(sent < total ? { phase: 'sending', sent, total } : { phase: 'preparing' }));
      setUpload({ phase: 'done', dataset, text: query.text ?? undefined });
      onUploaded(dataset);
    } catch (error) {
      setUpload({ phase: 'failed', error: explainDatasetRefusal(error) });
    }
  };

  // The panel sits inside the job form: Enter in its fields uploads, it does not post the job.
  const keepEnter = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Enter' && event.target instanceof HTMLInputElement && event.target.type !== 'file') {
      event.preventDefault();
      void send();
    }
  };

  return (
    <details className="upload-panel" data-testid="dataset-upload">
      <summary>Use your own data</summary>
      <div onKeyDown={keepEnter}>
        <p className="hint">
          A CSV, Parquet or NumPy file of at most {formatBytes(DATASET_MAX_BYTES)}: one row per sample, every column but the target a number. The backend splits
          the rows (one in five held out for testing), standardises the features and stores the prepared dataset, so every operator and verifier trains on the same
          bytes. A CSV or Parquet file may instead have a column of text: its token ids are then the features (kept as ids, not standardised), and the file's
          other columns but the target are left out.
        </p>
        <div className="field">
          <label htmlFor={`${id}-file`}>File</label>
          <input
            id={`${id}-file`}
            type="file"
            accept={DATASET_ACCEPT}
            disabled={busy}
            data-testid="dataset-file"
            aria-invalid={!!fileError}
            aria-describedby={fileError ? `${id}-file-error` : undefined}
            onChange={(e) => void choose(e.target.files?.[0] ?? null)}
          />
          {fileError && (
            <p className="field-error" id={`${id}-file-error`} role="alert">
              {fileError}
            </p>
          )}
          {file && !fileError && format !== 'csv' && (
            <p className="hint">
              {file.name} · {formatBytes(file.size)} · {format === 'parquet' ? 'Parquet' : 'NumPy'} (read by the backend; no preview here)
            </p>
          )}
        </div>
        {preview && file && <PreviewTable preview={preview} target={target} text={withText ? text.trim() : ''} fileName={file.name} />}
        {problems.length > 0 && (
          <div className="notice upload-problems" role="note">
            The backend will refuse this file as it stands:
            <ul>
              {problems.slice(0, 5).map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
            {textHint && <p className="hint">If column '{textHint}' is text, choose it as the text column: its token ids become the features.</p>}
          </div>
        )}
        {file && !fileError && (
          <div className="grid-3">
            <div className="field">
              <label htmlFor={`${id}-target`}>Target column</label>
              {preview ? (
                <select id={`${id}-target`} value={target} disabled={busy} onChange={(e) => chooseTarget(e.target.value)}>
                  {preview.header.map((column, i) => (
                    <option key={i} value={column}>
                      {column}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  id={`${id}-target`}
                  type="text"
                  autoComplete="off"
                  spellCheck={false}
                  value={target}
                  disabled={busy}
                  onChange={(e) => setTarget(e.target.value)}
                  aria-describedby={`${id}-target-hint`}
                />
              )}
              {!preview && format && format !== 'csv' && (
                <p className="hint" id={`${id}-target-hint`}>
                  {TARGET_HINT[format]}
                </p>
              )}
            </div>
            <div className="field">
              <label htmlFor={`${id}-task`}>Task</label>
              <select id={`${id}-task`} value={task} disabled={busy} onChange={(e) => setTask(e.target.value as DatasetTask)}>
                <option value="classification">Classification (the target is a class label)</option>
                <option value="regression">Regression (the target is a number)</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${id}-name`}>Name</label>
              <input id={`${id}-name`} type="text" autoComplete="off" maxLength={100} value={name} disabled={busy} onChange={(e) => setName(e.target.value)} />
            </div>
          </div>
        )}
        {file && !fileError && takesTextColumn(format) && (
          <div className="grid-3" data-testid="dataset-text">
            <div className="field">
              <label htmlFor={`${id}-text`}>Text column (optional)</label>
              {preview ? (
                <select id={`${id}-text`} value={text} disabled={busy} onChange={(e) => setText(e.target.value)} aria-describedby={`${id}-text-hint`}>
                  <option value="">None: every column but the target is a numeric feature</option>
                  {preview.header
                    .filter((column) => column !== target)
                    .map((column, i) => (
                      <option key={i} value={column}>
                        {column}
                      </option>
                    ))}
                </select>
              ) : (
                <input
                  id={`${id}-text`}
                  type="text"
                  autoComplete="off"
                  spellCheck={false}
                  maxLength={255}
                  placeholder="none"
                  value={text}
                  disabled={busy}
                  onChange={(e) => setText(e.target.value)}
                  aria-describedby={`${id}-text-hint`}
                />
              )}
              <p className="hint" id={`${id}-text-hint`}>
                {withText
                  ? "its token ids are the features; the file's other columns but the target are left out"
                  : preview
                    ? 'a column of text, read as token ids'
                    : 'the name of a column of text, read as token ids; empty for numeric features'}
              </p>
            </div>
            {withText && (
              <>
                <div className="field">
                  <label htmlFor={`${id}-tokenizer`}>Tokenizer</label>
                  <select id={`${id}-tokenizer`} value={tokenizer} disabled={busy} onChange={(e) => setTokenizer(e.target.value as TextTokenizer)}>
                    {TEXT_TOKENIZERS.map((t) => (
                      <option key={t.value} value={t.value}>
                        {t.label}
                      </option>
                    ))}
                  </select>
                </div>
                <div className="field">
                  <label htmlFor={`${id}-context`}>Context length</label>
                  <input
                    id={`${id}-context`}
                    type="number"
                    inputMode="numeric"
                    min={MIN_CONTEXT}
                    max={MAX_CONTEXT}
                    step={1}
                    value={context}
                    disabled={busy}
                    onChange={(e) => setContext(e.target.value)}
                    aria-invalid={!!badContext}
                    aria-describedby={`${id}-context-hint`}
                  />
                  <p className={badContext ? 'field-error' : 'hint'} id={`${id}-context-hint`}>
                    {badContext ?? `ids per text (${MIN_CONTEXT}–${MAX_CONTEXT}): [CLS], its first ${Number(context) - 2} tokens, [SEP], then padding`}
                  </p>
                </div>
              </>
            )}
          </div>
        )}
        <div className="form-actions">
          <button type="button" className="button primary" disabled={busy || !!missing} onClick={() => void send()} data-testid="dataset-upload-button">
            {upload.phase === 'sending' ? 'Uploading…' : upload.phase === 'preparing' ? 'Preparing…' : 'Upload'}
          </button>
          {missing && file && <span className="hint">{missing}</span>}
        </div>
        <div aria-live="polite">
          {upload.phase === 'sending' && (
            <>
              <ProgressBar value={upload.total > 0 ? upload.sent / upload.total : 0} label="Upload progress" />
              <p className="hint">
                Sent {formatBytes(upload.sent)} of {formatBytes(upload.total)}
              </p>
            </>
          )}
          {upload.phase === 'preparing' && <Loading label="The backend is checking every row and preparing the dataset…" />}
          {upload.phase === 'done' && (
            <p className="success" data-testid="dataset-uploaded">
              Uploaded <strong>{upload.dataset.name}</strong> as <Hex value={upload.dataset.ref} />: {groupThousands(String(upload.dataset.rows))} training and{' '}
              {groupThousands(String(upload.dataset.test_rows))} test rows,{' '}
              {upload.text ? `text '${upload.text}' as ${upload.dataset.features} token ids` : `${upload.dataset.features} features`}
              {upload.dataset.num_classes !== null ? `, ${upload.dataset.num_classes} classes` : ''}. It is selected as the job's dataset.
            </p>
          )}
        </div>
        {upload.phase === 'failed' && <ErrorBox error={upload.error} title="Upload refused" />}
      </div>
    </details>
  );
}
