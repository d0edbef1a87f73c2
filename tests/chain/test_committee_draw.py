"""The jackpot's slot registry and committee draw on a real anvil: `vectors/committee_draw.json`
replayed against a deployed `Jackpot` (`register`, `exit`, `occupantAt`, `slotHistoryOf`,
`drawCommittee`, `onSubmitted`/`assign`), which `tribunal.forced_errors.SlotRegistry` and
`draw_committee` must match bit for bit, and the registry and draw through the Python binding
(`tribunal.chain.jackpot`)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from web3 import Web3
from web3.types import RPCEndpoint

from tests.support.chain import ETHER, Devnet
from tribunal.chain.artifacts import load_artifact
from tribunal.chain.client import ContractRevert
from tribunal.chain.jackpot import Jackpot
from tribunal.forced_errors import Occupant, SlotRegistry, committee_share, draw_committee
from tribunal.merkle import keccak256
from tribunal.paths import REPO_ROOT

VECTORS = json.loads((REPO_ROOT / "vectors" / "committee_draw.json").read_text())
POT = 10**18 + 7
BOND = 10**15
EXTRA_SEEDS = 3
ZERO = "0x" + "00" * 20


def _deploy(devnet: Devnet, size: int, market: str, bond: int = BOND) -> Jackpot:
    """A Jackpot of its own, whose market is ``market`` (an account, so a test can call `onSubmitted`)."""
    client = devnet.client("deployer")
    artifact = load_artifact("Jackpot")
    sent = client.deploy(artifact.abi, artifact.bytecode, market, POT, bond, size, context="deploy Jackpot")
    assert sent.contract_address is not None
    return Jackpot(client, sent.contract_address)


def _rpc(w3: Web3, method: str, *params: Any) -> Any:
    response = w3.provider.make_request(RPCEndpoint(method), list(params))
    assert "error" not in response, response
    return response.get("result")


@pytest.fixture()
def impersonating(devnet: Devnet) -> Iterator[set[str]]:
    """Accounts the test sends from without their keys (anvil impersonation), stopped afterwards;
    automining is back on afterwards whatever happened."""
    accounts: set[str] = set()
    yield accounts
    _rpc(devnet.anvil.w3, "evm_setAutomine", True)
    for account in accounts:
        _rpc(devnet.anvil.w3, "anvil_stopImpersonatingAccount", account)


def _send_block(w3: Web3, txs: list[dict[str, Any]], accounts: set[str]) -> int:
    """The transactions, in order, in one new block; its number. Each must succeed."""
    for tx in txs:
        if tx["from"] not in accounts:
            _rpc(w3, "anvil_impersonateAccount", tx["from"])
            _rpc(w3, "anvil_setBalance", tx["from"], hex(ETHER))
            accounts.add(tx["from"])
    if len(txs) > 1:
        _rpc(w3, "evm_setAutomine", False)
    # straight to the node (anvil fills in the fees): web3's send path would cost a dozen requests
    hashes = [_rpc(w3, "eth_sendTransaction", {**tx, "gas": hex(300_000)}) for tx in txs]
    if len(txs) > 1:
        _rpc(w3, "evm_mine")
        _rpc(w3, "evm_setAutomine", True)
    receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=30, poll_latency=0.005) for h in hashes]
    assert all(r["status"] == 1 for r in receipts)
    # several in one block: they ran in the order sent
    assert [(r["blockNumber"], r["transactionIndex"]) for r in receipts] == [
        (receipts[0]["blockNumber"], i) for i in range(len(txs))]
    return int(receipts[0]["blockNumber"])


def _replay(devnet: Devnet, jackpot: Jackpot, case: dict[str, Any], accounts: set[str]) -> int:
    """The case's actions, those of one block of the case in one block (empty blocks mined between
    blocks the case leaves apart), with the deployer (the market) calling `onSubmitted(task_id)`
    right after the draw's epoch's action; the block of that call."""
    w3 = devnet.anvil.w3
    register = jackpot.contract.encode_abi("register")
    exit_ = jackpot.contract.encode_abi("exit")
    submit = {"from": devnet.signers["deployer"].address, "to": jackpot.address,
              "data": jackpot.contract.encode_abi("onSubmitted", [case["task_id"]])}
    actions = [{"from": Web3.to_checksum_address(account), "to": jackpot.address,
                "data": register if join else exit_, "value": hex(BOND if join else 0)}
               for account, join in zip(case["history_accounts"], case["history_joins"], strict=True)]
    # the submission goes after the draw's epoch's action, in the block of the action after it
    actions.insert(case["epoch"], submit)
    blocks = case["history_blocks"]
    blocks = blocks[: case["epoch"]] + [blocks[case["epoch"]] if case["epoch"] < len(blocks) else
                                        (blocks[-1] + 1 if blocks else 0)] + blocks[case["epoch"]:]
    offset = w3.eth.block_number + 1 - (blocks[0] if blocks else 0)
    submit_block = 0
    for block, group in itertools.groupby(zip(blocks, actions, strict=True), key=lambda pair: pair[0]):
        txs = [tx for _, tx in group]
        gap = block + offset - w3.eth.block_number - 1
        assert gap >= 0, f"block {block + offset} is already mined"
        if gap:
            _rpc(w3, "anvil_mine", hex(gap))
        mined = _send_block(w3, txs, accounts)
        assert mined == block + offset, case["name"]
        if submit in txs:
            submit_block = mined
    return submit_block


def _mirror(case: dict[str, Any]) -> SlotRegistry:
    registry = SlotRegistry()
    for account, join in zip(case["history_accounts"], case["history_joins"], strict=True):
        if join:
            registry.join(account)
        else:
            registry.exit(account)
    return registry


def _lower(accounts: list[str]) -> list[str]:
    return [a.lower() for a in accounts]


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[case["name"] for case in VECTORS["cases"]])
def test_the_committee_vectors_match_the_deployed_registry_and_draw(devnet: Devnet, impersonating: set[str],
                                                                    case: dict[str, Any]) -> None:
    market = devnet.signers["deployer"].address
    name, size, task_id = case["name"], case["committee_size"], case["task_id"]
    jackpot = _deploy(devnet, size, market)
    submit_block = _replay(devnet, jackpot, case, impersonating)
    assert (jackpot.registry_epoch(), jackpot.member_count()) == (
        case["registry_epoch"], case["member_count"]), name
    final = case["registry_epoch"]
    assert [jackpot.occupant_at(s, final).lower() for s in range(case["member_count"])] == case[
        "final_slots"], name
    epoch, count = case["epoch"], case["count"]
    assert [jackpot.occupant_at(s, epoch).lower() for s in range(count)] == case["slots"], name
    # every slot's whole history, as the Python registry keeps it
    mirror = _mirror(case)
    for slot, history in enumerate(mirror.histories):
        on_chain = jackpot.contract.functions.slotHistoryOf(slot).call()
        assert [Occupant(int(e), str(a).lower()) for e, a in on_chain] == history, (name, slot)
    assert jackpot.occupant_at(len(mirror.histories), final) == ZERO
    # the vector's draw
    seed = bytes.fromhex(case["seed"][2:])
    assert _lower(jackpot.draw_committee(task_id, seed, epoch, count)) == case["committee"], name
    # the submission fixed the registry as of the draw's epoch; its real seed draws what the
    # Python mirror draws from the same slots
    draw = jackpot.committee_draw(task_id)
    assert (draw.submit_block, draw.epoch, draw.members, draw.seed) == (submit_block, epoch, count,
                                                                         bytes(32)), name
    jackpot.assign(task_id)
    real_seed = bytes(devnet.anvil.w3.eth.get_block(submit_block)["hash"])
    assert jackpot.committee_draw(task_id).seed == real_seed
    expected = draw_committee(real_seed, task_id, case["slots"], size)
    assert _lower(jackpot.committee_of(task_id)) == expected, name
    # more seeds, tasks and epochs
    for k in range(EXTRA_SEEDS):
        other_seed = keccak256(seed + k.to_bytes(32, "big"))
        other_task = task_id + k + 1
        for at in sorted({0, epoch // 2, epoch, final}):
            on_chain = jackpot.draw_committee(other_task, other_seed, at, mirror.members_at(at))
            assert _lower(on_chain) == _lower(mirror.committee(other_seed, other_task, at, size)), (
                name, k, at)


def test_the_registry_and_the_draw_through_the_binding(devnet: Devnet) -> None:
    w3 = devnet.anvil.w3
    market = devnet.signers["deployer"].address
    jackpot = _deploy(devnet, 2, market, bond=ETHER)
    assert (jackpot.verifier_bond(), jackpot.committee_size()) == (ETHER, 2)
    assert jackpot.share() == committee_share(POT, 2) == POT // 2
    assert (jackpot.registry_epoch(), jackpot.member_count(), jackpot.owed_to_catchers()) == (0, 0, 0)
    verifiers = ["submitter", "operator", "challenger", "other"]
    address = {who: devnet.signers[who].address for who in verifiers}
    bound = {who: Jackpot(devnet.client(who), jackpot.address) for who in verifiers}
    mirror = SlotRegistry()
    for slot, who in enumerate(verifiers):
        (event,) = jackpot.events("MemberJoined", bound[who].register().receipt)
        assert dict(event["args"]) == {"account": address[who], "slot": slot, "epoch": slot + 1,
                                       "bond": ETHER}
        assert mirror.join(address[who]) == slot
    assert jackpot.member_count() == 4 and jackpot.total_bonded() == 4 * ETHER
    with pytest.raises(ContractRevert, match="AlreadyMember"):
        bound["other"].register()
    # the operator (slot 1) exits: the last slot's member (other) moves into its slot
    sent = bound["operator"].exit()
    assert mirror.exit(address["operator"]) == (1, address["other"])
    (moved,) = jackpot.events("MemberMoved", sent.receipt)
    assert dict(moved["args"]) == {"account": address["other"], "fromSlot": 3, "toSlot": 1, "epoch": 5}
    (exited,) = jackpot.events("MemberExited", sent.receipt)
    assert dict(exited["args"]) == {"account": address["operator"], "slot": 1, "epoch": 5, "bond": ETHER}
    assert not jackpot.is_member(address["operator"]) and jackpot.is_member(address["other"])
    assert (jackpot.registry_epoch(), jackpot.member_count()) == (5, 3)
    assert [jackpot.occupant_at(s, 5) for s in range(3)] == mirror.slots_at(5) == [
        address["submitter"], address["other"], address["challenger"]]
    assert [jackpot.occupant_at(s, 4) for s in range(4)] == mirror.slots_at(4)
    assert jackpot.occupant_at(0, 0) == ZERO
    assert jackpot.total_bonded() == 3 * ETHER and jackpot.credits(address["operator"]) == ETHER
    with pytest.raises(ContractRevert, match="NotMember"):
        bound["operator"].exit()

    task_id = 77
    with pytest.raises(ContractRevert, match="NoCommitteeDraw"):
        jackpot.assign(task_id)
    submitted = jackpot.client.transact(jackpot.contract.functions.onSubmitted(task_id), context="submit")
    (fixed,) = jackpot.events("CommitteeFixed", submitted.receipt)
    block = submitted.receipt["blockNumber"]
    assert dict(fixed["args"]) == {"taskId": task_id, "submitBlock": block, "epoch": 5, "members": 3}
    draw = jackpot.committee_draw(task_id)
    assert (draw.submit_block, draw.epoch, draw.members, draw.seed) == (block, 5, 3, bytes(32))
    # the submit block is the latest: its hash is not known to it yet
    assert jackpot.committee_of(task_id) == []
    # a later exit and join change nothing for the committee: the draw reads the registry as of epoch 5
    bound["submitter"].exit()
    bound["operator"].register()
    mirror.exit(address["submitter"])
    mirror.join(address["operator"])
    sent = bound["challenger"].assign(task_id)
    seed = bytes(w3.eth.get_block(draw.submit_block)["hash"])
    expected = draw_committee(seed, task_id, mirror.slots_at(5), 2)
    assert expected == mirror.committee(seed, task_id, 5, 2) and len(expected) == 2
    assert address["operator"] not in expected
    assert jackpot.draw_committee(task_id, seed, 5, 3) == expected
    (event,) = jackpot.events("CommitteeDrawn", sent.receipt)
    assert (event["args"]["taskId"], bytes(event["args"]["seed"]), list(event["args"]["committee"])) == (
        task_id, seed, expected)
    assert jackpot.committee_draw(task_id).seed == seed and jackpot.committee_of(task_id) == expected
    assert all(jackpot.is_assigned(task_id, a) for a in expected)
    assert not jackpot.is_assigned(task_id, address["operator"])
    with pytest.raises(ContractRevert, match="CommitteeAlreadyDrawn"):
        jackpot.assign(task_id)
    # no pot yet: the pot view decodes the new struct; no earlier catch to claim
    pot = jackpot.pot(task_id)
    assert (pot.submitted_at, pot.committee_block, pot.committee_epoch, pot.committee_members) == (0, 0, 0, 0)
    assert (pot.committee_seed, pot.catches, pot.misses, pot.round, pot.closed) == (bytes(32), 0, 0, 0, False)
    with pytest.raises(ContractRevert, match="NothingToClaim"):
        bound["challenger"].claim_earlier_catch(task_id, 1)
    # the deployed market: no result, so no committee-first period
    assert devnet.market("other").committee_first_until(1) == 0
