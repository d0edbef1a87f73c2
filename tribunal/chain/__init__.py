"""Chain bindings: compiled artifacts, keys, typed contract wrappers, deployments."""
