import { API_BASE, artifactUrl, type ModelCheck } from '../lib/api';

/** The download links of a checked model (`ModelCheckOut` with status "matches"): its parameters as
 *  safetensors, what `tribunal.models.to_torch` loads without the training data; the final checkpoint
 *  (every state slot, optimizer state too) as the secondary link. */
export function ModelLinks({ taskId, check }: { taskId: number; check: ModelCheck }) {
  const hash = check.model_hash!;
  return (
    <div className="model-download" data-testid="model-verified" data-model-status={check.status}>
      {check.safetensors_url && (
        <a className="button primary" href={`${API_BASE}${check.safetensors_url}`} download={`task-${taskId}.safetensors`} data-testid="model-download">
          Download the trained model (safetensors)
        </a>
      )}{' '}
      <a className="button secondary" href={artifactUrl(hash)} download={`tribunal-model-${hash.slice(2, 10)}.ckpt`} data-testid="checkpoint-download">
        Final checkpoint
      </a>{' '}
      <span className="small">✓ matches the on-chain final state h_S (checked by the server)</span>
      <p className="small muted">
        Load it in PyTorch: <code>tribunal.models.to_torch(spec, &quot;task-{taskId}.safetensors&quot;)</code> (the file carries its spec), or
        run <code>tribunal task model {taskId} --out model.safetensors</code> to check it yourself against the chain.
      </p>
    </div>
  );
}
