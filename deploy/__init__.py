"""The applications on top of the roles: the `tribunal` command (deploy, keys, tasks, config check)
and the devnet runner. They compose `backend`, `worker` and `verifier`; nothing below imports them."""
