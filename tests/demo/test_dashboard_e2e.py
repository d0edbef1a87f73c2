"""The dashboard in Debian's Chromium (playwright-core, `frontend/e2e/run.mjs`) against the demo
devnet: a job posted from the UI is claimed, trained, submitted and finalised by the real worker;
an EIP-6963 wallet posts and cancels a job; the demo's dispute page draws the descent; no console
errors. `make test` installs Chromium (`make browser`) and builds the dashboard first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tribunal.chain.anvil import free_port
from tribunal.paths import REPO_ROOT

pytestmark = pytest.mark.integration  # starts anvil, the backend and the agents itself

DEVNET = REPO_ROOT / "deploy" / "devnet.py"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def test_dashboard_end_to_end_in_chromium(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make browser` installs Debian's (or set CHROMIUM_PATH)")
    if not (REPO_ROOT / "frontend" / "dist" / "index.html").exists():
        pytest.fail("the dashboard is not built: `make dashboard` (make test does it)")
    if not (REPO_ROOT / "frontend" / "node_modules" / "playwright-core").exists():
        pytest.fail("frontend dependencies missing: `npm --prefix frontend ci`")
    state_dir, port, api_port = tmp_path / "devnet", free_port(), free_port()
    env = {**os.environ, "PATH": f"{REPO_ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}"}
    up = subprocess.run(
        [sys.executable, str(DEVNET), "--detach", "--port", str(port), "--api-port", str(api_port),
         "--state-dir", str(state_dir), "--challenge-window", "30"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        e2e = subprocess.run(
            [shutil.which("npm") or "npm", "--prefix", "frontend", "run", "e2e"], cwd=REPO_ROOT,
            env={**env, "TRIBUNAL_API_URL": f"http://127.0.0.1:{api_port}", "CHROMIUM_PATH": CHROMIUM,
                 "E2E_STEPS": "60",  # more than the demo's cheater takes: the honest worker gets it
                 "E2E_CHALLENGE_WINDOW_S": "30", "E2E_WAIT_FOR": "CLAIMED,SUBMITTED,FINALIZED",
                 "E2E_WAIT_TIMEOUT_S": "240"},
            capture_output=True, text=True, timeout=900, check=False)
        output = e2e.stdout + e2e.stderr
        print(output[-6000:])
        assert e2e.returncode == 0, output[-6000:]
        passed = re.search(r"^# pass (\d+)", output, re.MULTILINE)
        skipped = re.search(r"^# skipped (\d+)", output, re.MULTILINE)
        assert passed and int(passed.group(1)) >= 9, output[-3000:]
        assert skipped and int(skipped.group(1)) == 0, "every dashboard test ran (the demo has a dispute)"
        assert "reached FINALIZED" in output
    except BaseException:
        for log in sorted(state_dir.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}")
        raise
    finally:
        subprocess.run([sys.executable, str(DEVNET), "--stop", "--state-dir", str(state_dir)],
                       cwd=REPO_ROOT, env=env, capture_output=True, timeout=120, check=False)
