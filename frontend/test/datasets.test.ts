import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, uploadDataset, type DatasetInfo } from '../src/lib/api';
import {
  DATASET_MAX_BYTES,
  TEXT_TOKENIZERS,
  contextProblem,
  datasetFormat,
  datasetOptions,
  explainDatasetRefusal,
  fileRefusal,
  fileStem,
  guessTarget,
  guessTextColumn,
  isPythonFloat,
  parseCsvPreview,
  previewProblems,
  sniffDelimiter,
  takesTextColumn,
  uploadQuery,
  withUploaded,
} from '../src/lib/datasets';
import { BUILTIN_DATASETS, DEFAULT_FORM, describeSpec, updateForm, validateJob } from '../src/lib/spec';

const REF = `0x${'5a'.repeat(32)}`;
const UPLOADED: DatasetInfo = {
  ref: REF,
  name: 'mine',
  uploaded: true,
  rows: 1200,
  test_rows: 300,
  features: 4,
  targets: 1,
  target_kind: 'class',
  num_classes: 2,
  description: 'mine.csv: 1500 rows, 4 standardised features, 2 classes',
  root: `0x${'11'.repeat(32)}`,
  preparation: { classes: ['a', 'b'] },
  created_at: 1_700_000_000,
};

describe('the CSV preview reads the start of a file as the backend reads it', () => {
  it('splits the header and rows, numbering lines from the header as line 1', () => {
    const preview = parseCsvPreview('w,x,label\n1,2,a\n3,4,b\n');
    expect(preview).toEqual({
      delimiter: ',',
      header: ['w', 'x', 'label'],
      rows: [
        { line: 2, fields: ['1', '2', 'a'] },
        { line: 3, fields: ['3', '4', 'b'] },
      ],
      truncated: false,
    });
  });

  it('keeps delimiters, doubled quotes and newlines inside quoted fields', () => {
    const preview = parseCsvPreview('name,"a, b",label\n"x, y","say ""hi""","two\nlines"\n1,2,3\n')!;
    expect(preview.header).toEqual(['name', 'a, b', 'label']);
    // Python's csv module numbers a record by the line it ends on: the quoted newline counts.
    expect(preview.rows).toEqual([
      { line: 3, fields: ['x, y', 'say "hi"', 'two\nlines'] },
      { line: 4, fields: ['1', '2', '3'] },
    ]);
  });

  it('skips blank lines (still counting them), drops a byte-order mark, reads CRLF and a last line without newline', () => {
    const preview = parseCsvPreview('\uFEFFa,b\r\n\r\n1,2\r\n3,4')!;
    expect(preview.header).toEqual(['a', 'b']);
    expect(preview.rows).toEqual([
      { line: 3, fields: ['1', '2'] },
      { line: 4, fields: ['3', '4'] },
    ]);
  });

  it('sniffs semicolons, tabs and pipes, and trims header names as the backend does', () => {
    expect(sniffDelimiter('a;b;c\n1,5;2;3\n')).toBe(';');
    expect(parseCsvPreview('a\tb \n1\t2\n')!.header).toEqual(['a', 'b']);
    expect(sniffDelimiter('a|b\n1|2\n')).toBe('|');
    expect(sniffDelimiter('justone\n1\n')).toBe(',');
    // a ragged line does not hide the delimiter; a comma inside a field does not win
    expect(sniffDelimiter('w;x;label\n1;2;a\n1;2\n1;2,5;b\n')).toBe(';');
  });

  it('of a partial read, shows at most maxRows rows and leaves out the record cut off', () => {
    const text = `a,b\n${Array.from({ length: 30 }, (_, i) => `${i},${i}`).join('\n')}\n1,`;
    const preview = parseCsvPreview(text, { complete: false, maxRows: 10 })!;
    expect(preview.rows).toHaveLength(10);
    expect(preview.rows[9]).toEqual({ line: 11, fields: ['9', '9'] });
    expect(preview.truncated).toBe(true);
    const short = parseCsvPreview('a,b\n1,2\n3,', { complete: false })!;
    expect(short.rows).toEqual([{ line: 2, fields: ['1', '2'] }]);
  });

  it('has nothing to show for a file without a header line', () => {
    expect(parseCsvPreview('')).toBeNull();
    expect(parseCsvPreview('\n\n  \n')).toBeNull();
  });

  it('reports ragged lines with the line number and field counts the backend names', () => {
    const preview = parseCsvPreview('w,x,y,z,label\n1,2,3,4,a\n1,2,3\n1,2,3,4,b,extra\n')!;
    expect(previewProblems(preview, 'label', 'classification')).toEqual([
      'line 3 has 3 fields; the header has 5 (a ragged row)',
      'line 4 has 6 fields; the header has 5 (a ragged row)',
    ]);
    // Ragged lines are reported before a target is chosen too.
    expect(previewProblems(preview, undefined, 'classification')).toHaveLength(2);
  });

  it('reports values the backend refuses, by line and column', () => {
    const preview = parseCsvPreview('w,z,label\n1,nan,a\n1,oops,b\n1,,c\n1,2,\n1,1_000,inf\n')!;
    expect(previewProblems(preview, 'label', 'classification')).toEqual([
      "line 2, column 'z': 'nan' is not a finite number (NaN and infinity are refused)",
      "line 3, column 'z': 'oops' is not a number (every feature must be numeric)",
      "line 4, column 'z': the feature is missing (an empty field)",
      "line 5, column 'label': the target is missing (an empty field)",
      "line 6, column 'label': 'inf' is not a class label (NaN or infinity)",
    ]);
    const regression = parseCsvPreview('x,y\n1,a\n2,3\n')!;
    expect(previewProblems(regression, 'y', 'regression')).toEqual(["line 2, column 'y': 'a' is not a number (every target must be numeric)"]);
    expect(previewProblems(parseCsvPreview('a,a\n1,2\n')!, 'a', 'regression')).toContain("the header names column 'a' twice (columns 1 and 2)");
  });

  it("accepts numbers as Python's float() writes them", () => {
    for (const ok of ['1', '-2.5', '.5', '5.', '1e-3', '+1E+3', ' 7 ', '1_000.000_1', 'nan', 'Infinity']) expect(isPythonFloat(ok)).toBe(true);
    for (const bad of ['', 'a', '1,5', '1__0', '_1', '0x10', '1e']) expect(isPythonFloat(bad)).toBe(false);
  });

  it('proposes a column named like a label as the target, else the last', () => {
    expect(guessTarget(['sepal', 'species', 'petal'])).toBe('species');
    expect(guessTarget(['a', 'b', 'c'])).toBe('c');
  });
});

describe('a text column: its token ids are the features, the other columns but the target are left out', () => {
  const reviews = 'id,review,stars,label\n1,"Great, loved it",5,pos\n2,meh,,neg\nx, Awful ,oops,neg\n';

  it('does not check the text as a number, nor the columns left out; still checks the target', () => {
    const preview = parseCsvPreview(reviews)!;
    // Without a text column, every non-target column must be numeric.
    expect(previewProblems(preview, 'label', 'classification')).toEqual([
      "line 2, column 'review': 'Great, loved it' is not a number (every feature must be numeric)",
      "line 3, column 'review': 'meh' is not a number (every feature must be numeric)",
      "line 3, column 'stars': the feature is missing (an empty field)",
      "line 4, column 'id': 'x' is not a number (every feature must be numeric)",
      "line 4, column 'review': 'Awful' is not a number (every feature must be numeric)",
      "line 4, column 'stars': 'oops' is not a number (every feature must be numeric)",
    ]);
    expect(previewProblems(preview, 'label', 'classification', 'review')).toEqual([]);
    expect(previewProblems(preview, 'label', 'classification', '')).toHaveLength(6);
    const badTarget = parseCsvPreview('review,label\ngood,\nbad,nan\n')!;
    expect(previewProblems(badTarget, 'label', 'classification', 'review')).toEqual([
      "line 2, column 'label': the target is missing (an empty field)",
      "line 3, column 'label': 'nan' is not a class label (NaN or infinity)",
    ]);
    expect(previewProblems(parseCsvPreview('review,y\ngood,1\nbad,x\n')!, 'y', 'regression', 'review')).toEqual([
      "line 3, column 'y': 'x' is not a number (every target must be numeric)",
    ]);
  });

  it('reports an empty text, ragged lines and a repeated header name in the backend\'s words', () => {
    const preview = parseCsvPreview('review,other,label\n  ,1,a\nfine,1\nok,,b\n')!;
    expect(previewProblems(preview, 'label', 'classification', 'review')).toEqual([
      "line 2, column 'review': the text is empty (every row needs a text to tokenize)",
      'line 3 has 2 fields; the header has 3 (a ragged row)',
    ]);
    expect(previewProblems(parseCsvPreview('t,t,label\na,b,c\n')!, 'label', 'classification', 't')).toContain("the header names column 't' twice (columns 1 and 2)");
  });

  it('refuses the target as the text column', () => {
    const preview = parseCsvPreview('review,label\ngood,a\n')!;
    expect(previewProblems(preview, 'label', 'classification', 'label')).toEqual(["column 'label' is both the text and a target"]);
  });

  it('reports a text column of numbers only when the whole file is shown', () => {
    const numbers = 'n,label\n 1.5 ,a\n2,b\nnan,a\n';
    expect(previewProblems(parseCsvPreview(numbers)!, 'label', 'classification', 'n')).toEqual([
      "column 'n' holds numbers, not text (line 2: '1.5', and every other row): --text names a column of text; a numeric column is a feature (leave out --text)",
    ]);
    // Only the first lines are shown: a later row may be text.
    expect(previewProblems(parseCsvPreview(numbers, { complete: false })!, 'label', 'classification', 'n')).toEqual([]);
    expect(previewProblems(parseCsvPreview('n,label\n1,a\nword,b\n')!, 'label', 'classification', 'n')).toEqual([]);
  });

  it('proposes the first non-target column with text in it', () => {
    expect(guessTextColumn(parseCsvPreview(reviews)!, 'label')).toBe('id');
    expect(guessTextColumn(parseCsvPreview('a,review,label\n1,good,x\n')!, 'label')).toBe('review');
    expect(guessTextColumn(parseCsvPreview('a,b,label\n1,2,x\n')!, 'label')).toBeUndefined();
  });

  it('is offered for CSV and Parquet only, with a context of 3 to 512 ids', () => {
    expect((['csv', 'parquet', 'npy', 'npz', null] as const).map(takesTextColumn)).toEqual([true, true, false, false, false]);
    expect(TEXT_TOKENIZERS.map((t) => t.value)).toEqual(['minilm', 'bytes']);
    for (const ok of ['3', '32', ' 512 ']) expect(contextProblem(ok)).toBeUndefined();
    for (const bad of ['', '2', '513', '3.5', '-4', '1e2', 'abc']) expect(contextProblem(bad)).toMatch(/from 3 to 512/);
  });

  it('puts the text column, tokenizer and context in the query only with a text column', () => {
    const file = { name: 'reviews.csv' };
    const choice = { name: ' reviews ', target: 'label', task: 'classification' as const };
    expect(uploadQuery(file, 'csv', choice)).toEqual({ name: 'reviews', target: ['label'], task: 'classification', filename: 'reviews.csv', format: 'csv' });
    expect(uploadQuery(file, 'csv', { ...choice, text: '  ' })).not.toHaveProperty('text');
    expect(uploadQuery(file, 'csv', { ...choice, text: 'review' })).toMatchObject({ text: 'review', tokenizer: 'minilm', context: 32 });
    expect(uploadQuery({ name: 'r.parquet' }, 'parquet', { ...choice, text: ' review ', tokenizer: 'bytes', context: ' 128 ' })).toMatchObject({
      text: 'review',
      tokenizer: 'bytes',
      context: 128,
      format: 'parquet',
    });
    // NumPy arrays hold no text: nothing of it is sent.
    const npy = uploadQuery({ name: 'a.npy' }, 'npy', { ...choice, target: '-1', text: 'review', tokenizer: 'bytes', context: '8' });
    expect(npy).toEqual({ name: 'reviews', target: ['-1'], task: 'classification', filename: 'a.npy', format: 'npy' });
  });
});

describe('files', () => {
  it('takes the format from the suffix, and the name from the stem', () => {
    expect(['a.csv', 'a.TSV', 'a.txt', 'a.parquet', 'a.pq', 'a.npy', 'a.npz', 'a.xlsx', 'csv'].map(datasetFormat)).toEqual([
      'csv', 'csv', 'csv', 'parquet', 'parquet', 'npy', 'npz', null, null,
    ]);
    expect(fileStem('data/iris.train.csv')).toBe('iris.train');
    expect(fileStem('.hidden')).toBe('.hidden');
  });

  it('refuses before sending: over the limit, empty, or not a format the backend reads', () => {
    expect(fileRefusal({ name: 'a.csv', size: 10 })).toBeUndefined();
    expect(fileRefusal({ name: 'a.csv', size: DATASET_MAX_BYTES + 1 })).toMatch(/^a\.csv is 256 MiB; the dashboard uploads at most 256 MiB\..*tribunal dataset add/);
    expect(fileRefusal({ name: 'a.csv', size: 0 })).toBe('a.csv is empty');
    expect(fileRefusal({ name: 'a.xlsx', size: 10 })).toMatch(/choose a CSV/);
  });
});

describe('the dataset choices', () => {
  it('lists built-in datasets by name and uploaded ones by name, size, classes and a short hash; the value is the ref', () => {
    const options = datasetOptions([...BUILTIN_DATASETS.slice(0, 2), BUILTIN_DATASETS[4], UPLOADED]);
    expect(options).toEqual([
      { value: 'iris', label: 'iris (3 classes)', group: 'Built in' },
      { value: 'wine', label: 'wine (3 classes)', group: 'Built in' },
      { value: 'diabetes', label: 'diabetes (regression)', group: 'Built in' },
      { value: REF, label: 'mine · 1,200 rows · 4 features · 2 classes · 0x5a5a5a…5a5a', group: 'Uploaded' },
    ]);
    const regression = { ...UPLOADED, target_kind: 'regression' as const, num_classes: null, targets: 2 };
    expect(datasetOptions([regression])[0].label).toContain('regression, 2 targets');
  });

  it('puts a new upload after the built-in ones and before older uploads, once', () => {
    const older = { ...UPLOADED, ref: `0x${'77'.repeat(32)}`, name: 'older' };
    const list = withUploaded([...BUILTIN_DATASETS, older, UPLOADED], UPLOADED);
    expect(list.map((d) => d.name).slice(-3)).toEqual(['char_copy', 'mine', 'older']);
    expect(list.filter((d) => d.ref === REF)).toHaveLength(1);
  });

  it('a spec on an uploaded dataset names it by its hash', () => {
    const datasets = [...BUILTIN_DATASETS, UPLOADED];
    const form = updateForm(DEFAULT_FORM, 'dataset', REF, datasets);
    const { errors, spec } = validateJob(form, { datasets });
    expect(errors).toEqual({});
    expect(spec?.dataset).toBe(REF);
    expect(describeSpec(spec!)).toContain('on dataset 0x5a5a5a…5a5a');
    expect(validateJob({ ...form, batchSize: '2000' }, { datasets }).errors.batchSize).toMatch(/mine has 1200 training rows/);
  });
});

/** A stand-in for the browser's XMLHttpRequest answering `status` with `body`. */
function fakeXhr(status: number, body: unknown, headers: Record<string, string> = {}) {
  const sent: { method: string; url: string; headers: Record<string, string>; body: unknown }[] = [];
  class FakeXhr {
    status = 0;
    statusText = '';
    responseText = '';
    upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null; onload: (() => void) | null } = { onprogress: null, onload: null };
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    private request = { method: '', url: '', headers: {} as Record<string, string>, body: undefined as unknown };
    open(method: string, url: string) {
      this.request.method = method;
      this.request.url = url;
    }
    setRequestHeader(name: string, value: string) {
      this.request.headers[name] = value;
    }
    getResponseHeader(name: string) {
      return headers[name.toLowerCase()] ?? null;
    }
    send(payload: Blob) {
      sent.push({ ...this.request, body: payload });
      queueMicrotask(() => {
        this.upload.onprogress?.({ loaded: payload.size / 2, total: payload.size, lengthComputable: true });
        this.upload.onload?.();
        this.status = status;
        this.responseText = JSON.stringify(body);
        this.onload?.();
      });
    }
  }
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  return sent;
}

afterEach(() => vi.unstubAllGlobals());

describe('uploadDataset: the file as the body, what to make of it in the query', () => {
  const file = new Blob(['w,x,label\n1,2,a\n'], { type: 'text/csv' });

  it('sends the file with its target, task, name and format, reports progress, and answers the dataset', async () => {
    const sent = fakeXhr(201, UPLOADED);
    const progress: [number, number][] = [];
    const dataset = await uploadDataset(file, { name: 'my data', target: ['label'], task: 'classification', filename: 'my data.csv', format: 'csv' }, (s, t) =>
      progress.push([s, t]),
    );
    expect(dataset).toEqual(UPLOADED);
    expect(sent).toHaveLength(1);
    expect(sent[0].method).toBe('POST');
    expect(sent[0].url).toBe('/api/datasets?name=my+data&target=label&task=classification&filename=my+data.csv&format=csv');
    expect(sent[0].headers['content-type']).toBe('text/csv');
    expect(sent[0].body).toBe(file);
    expect(progress).toEqual([
      [file.size / 2, file.size],
      [file.size, file.size],
    ]);
  });

  it('repeats the target for several regression targets and sends binary formats as octet-stream', async () => {
    const sent = fakeXhr(201, UPLOADED);
    await uploadDataset(file, { name: 'm', target: ['y1', 'y2'], task: 'regression', filename: 'm.parquet', format: 'parquet' });
    expect(sent[0].url).toContain('target=y1&target=y2');
    expect(sent[0].headers['content-type']).toBe('application/octet-stream');
  });

  it('sends a text column with its tokenizer and context length', async () => {
    const sent = fakeXhr(201, { ...UPLOADED, features: 64 });
    const query = uploadQuery({ name: 'reviews.csv' }, 'csv', { name: 'reviews', target: 'label', task: 'classification', text: 'review', tokenizer: 'bytes', context: '64' });
    await uploadDataset(file, query);
    expect(sent[0].url).toBe('/api/datasets?name=reviews&target=label&task=classification&filename=reviews.csv&format=csv&text=review&tokenizer=bytes&context=64');
    const plain = fakeXhr(201, UPLOADED);
    await uploadDataset(file, uploadQuery({ name: 'r.csv' }, 'csv', { name: 'r', target: 'label', task: 'classification', text: '', tokenizer: 'bytes', context: '64' }));
    expect(plain[0].url).not.toMatch(/text=|tokenizer=|context=/);
  });

  it("shows a 422's detail, naming the line and column at fault", async () => {
    const detail = "mine.csv: line 3, column 'b': 'nan' is not a finite number (NaN and infinity are refused)";
    fakeXhr(422, { detail });
    const error = await uploadDataset(file, { name: 'mine', target: ['label'], filename: 'mine.csv', format: 'csv' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(422);
    const shown = explainDatasetRefusal(error) as Error;
    expect(shown.message).toBe(`The backend refused the file: ${detail}`);
    expect(shown.message).toContain("line 3, column 'b'");
  });

  it('shows when to try again after a 429, and the limit of a 413', async () => {
    fakeXhr(429, { detail: 'too many spec uploads from 127.0.0.1: at most 10 at once, then 6 per minute; retry in 12 s' }, { 'retry-after': '12' });
    const limited = await uploadDataset(file, { name: 'm', filename: 'm.csv' }).catch((e: unknown) => e);
    expect((limited as ApiError).retryAfterS).toBe(12);
    expect((explainDatasetRefusal(limited) as Error).message).toMatch(/limiting uploads: too many .* upload again in 12s\.$/);
    fakeXhr(413, { detail: 'a dataset file is at most 1,000 bytes here (TRIBUNAL_DATASET_MAX_BYTES)' });
    const large = await uploadDataset(file, { name: 'm', filename: 'm.csv' }).catch((e: unknown) => e);
    expect((explainDatasetRefusal(large) as Error).message).toBe('The file is too large for this backend: a dataset file is at most 1,000 bytes here (TRIBUNAL_DATASET_MAX_BYTES)');
  });

  it('shows a list of validation errors as one line', async () => {
    fakeXhr(422, { detail: [{ loc: ['query', 'name'], msg: 'Field required' }] });
    const error = await uploadDataset(file, { name: '', filename: 'm.csv' }).catch((e: unknown) => e);
    expect((explainDatasetRefusal(error) as Error).message).toBe('The backend refused the file: query.name: Field required');
  });
});
