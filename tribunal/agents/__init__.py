"""What every agent (the operator's `worker`, the `verifier`) runs on: the loop that follows the
chain (`runtime`) and the state directory it keeps (`state`). The roles decide; this runs them."""
