"""`verifier`: the verifier's and whistleblower's command line."""

from __future__ import annotations

from typing import Annotated

import typer

from tribunal import cli_common as common

app = typer.Typer(
    help="Tribunal verifier: stake, recompute published work, challenge wrong results.",
    no_args_is_help=True,
)
common.add_staking_commands(app, "verifier")


@app.command()
def start(
    stake: Annotated[str, typer.Option("--stake", help="ETH to keep bonded")] = "5",
    rpc_url: common.RpcOpt = common.DEFAULT_RPC,
    deployment: common.DeploymentOpt = None,
    keystore: common.KeystoreOpt = None,
) -> None:
    """Bond STAKE ETH (topping up what is already bonded)."""
    common.stake_to(stake, rpc_url, deployment, keystore, "verifier")
