"""Canary: with every logger at DEBUG, a distinctive password appears in no log record, no
output, and no error, whatever the client does."""

from __future__ import annotations

import pytest

from locket_client.client import LoketClient
from locket_client.diagnose import diagnose
from locket_client.errors import LoketError
from tests.conftest import demo_credentials

CANARY = "Kanarie-7f3b9c-Wachtwoord!"
E1 = "00000000-0000-4000-8000-000000001001"


def test_the_password_reaches_no_log_output_or_error(everything_at_debug, sandbox, capsys):
    fresh = LoketClient(endpoint=sandbox.url, timeout=5)
    errors: list[str] = []
    for env in ("DEMO001", "STORING", "NERGENS"):
        creds = demo_credentials("ws-benefits", omgevingscode=env, wachtwoord=CANARY)
        errors.append(repr(creds))
        calls = [
            lambda c=creds: fresh.check_access(c),
            lambda c=creds: fresh.employers(c),
            lambda c=creds: fresh.employees(c, employer_id=E1),
            lambda c=creds: fresh.employments(c, employer_id=E1),
            lambda c=creds: fresh.wages(c, employer_id=E1, year=2025),
            lambda c=creds: fresh.leave(c, employer_id=E1, year=2025),
        ]
        for call in calls:
            with pytest.raises(LoketError) as caught:
                call()
            errors.append(repr(caught.value))
            errors.append(str(caught.value))
        errors.append(repr(diagnose(creds, client=fresh)))

    records = everything_at_debug.records
    assert any(r.name.startswith("locket_client") for r in records), "logging was not captured"
    log_text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in records)
    output = capsys.readouterr()
    assert CANARY not in log_text
    assert CANARY not in output.out + output.err
    assert CANARY not in "\n".join(errors)
