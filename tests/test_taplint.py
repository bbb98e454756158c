"""STILTS ``taplint`` (the IVOA's TAP validator) against ``xcat serve`` on the M101 store:
every stage that applies (metadata from /tables and TAP_SCHEMA, capabilities,
availability, sync GET/POST, async, UWS, result metadata, uploads, examples) reports no
error, no warning and no failure. ObsCore and ObsLocTAP are data models this service does
not claim, so their stages are not run. ``.ci/run`` installs Debian's ``stilts``.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.test_tap_service import tap_store, tap_url  # noqa: F401  (fixtures)

STAGES = "TMV TME TMS TMC CPV CAP AVV QGE QPO QAS UWS MDQ UPL EXA"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("stilts") is None, reason="stilts is not installed")
def test_taplint_is_clean(tap_url):  # noqa: F811
    r = subprocess.run(["stilts", "taplint", f"tapurl={tap_url}", f"stages={STAGES}",
                        "report=EWFS", "maxrepeat=5"],
                       capture_output=True, text=True, timeout=600, check=False)
    out = r.stdout
    ran = set(re.findall(r"^Section (\w+):", out, re.M))
    assert ran == set(STAGES.split()), out[-3000:] + r.stderr[-2000:]
    assert "Totals: Errors: 0; Warnings: 0;" in out and "Failures: 0" in out, out[-6000:]
    # the stages did real work: queries ran, an upload was tested, examples executed
    assert re.search(r"S-QGE-QNUM-1 Successful/submitted TAP queries: (\d+)/\1", out)
    assert re.search(r"S-MDQ-QNUM-1 Successful/submitted TAP queries: (\d+)/\1", out)
    assert re.search(r"S-EXA-XVAL-1 .*Execution success/attempt: (\d+)/\1", out)
