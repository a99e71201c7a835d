"""The skip-or-fail policy for tests that need an external server (tests/conftest.py)."""

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import pytest

RequireBinary = Callable[[str | Sequence[str], str], str]
ServiceUnavailable = Callable[[str], NoReturn]

REASON = "redis-server not found on PATH; install it (apt-get install redis-server)"


def _make_program(path: Path, *, executable: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(stat.S_IRWXU if executable else stat.S_IRUSR | stat.S_IWUSR)
    return path


@pytest.fixture
def services_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRICEKIT_REQUIRE_SERVICES", raising=False)


@pytest.fixture
def services_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRICEKIT_REQUIRE_SERVICES", "1")


@pytest.fixture
def empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH with one empty directory: no program is found on it."""
    bin_dir = tmp_path / "empty-bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


@pytest.mark.usefixtures("services_optional")
def test_finds_a_program_on_path(
    require_binary: RequireBinary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = _make_program(tmp_path / "bin" / "redis-server")
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path / "nowhere"), str(program.parent)]))
    assert require_binary("redis-server", REASON) == str(program)
    assert require_binary(["redis-server", "/nonexistent/redis-server"], REASON) == str(program)


@pytest.mark.usefixtures("services_optional", "empty_path")
def test_falls_back_to_candidate_paths_in_order(
    require_binary: RequireBinary, tmp_path: Path
) -> None:
    first = _make_program(tmp_path / "usr" / "bin" / "redis-server")
    second = _make_program(tmp_path / "usr" / "local" / "bin" / "redis-server")
    candidates = ["redis-server", str(tmp_path / "missing" / "redis-server"), str(first)]
    assert require_binary([*candidates, str(second)], REASON) == str(first)
    assert require_binary(["redis-server", str(second)], REASON) == str(second)


@pytest.mark.usefixtures("services_optional", "empty_path")
def test_globbed_candidates_prefer_the_highest_version(
    require_binary: RequireBinary, tmp_path: Path
) -> None:
    for version in ("9", "13", "15"):
        _make_program(tmp_path / "postgresql" / version / "bin" / "pg_ctl")
    _make_program(tmp_path / "postgresql" / "16" / "bin" / "pg_ctl", executable=False)
    found = require_binary(
        ["pg_ctl", str(tmp_path / "postgresql" / "*" / "bin" / "pg_ctl")], REASON
    )
    assert found == str(tmp_path / "postgresql" / "15" / "bin" / "pg_ctl")


@pytest.mark.usefixtures("services_optional", "empty_path")
def test_missing_program_skips_with_the_reason(
    require_binary: RequireBinary, tmp_path: Path
) -> None:
    not_executable = _make_program(tmp_path / "redis-server", executable=False)
    with pytest.raises(pytest.skip.Exception) as excinfo:
        require_binary(["redis-server", str(not_executable), str(tmp_path / "nope")], REASON)
    assert excinfo.type is pytest.skip.Exception
    assert excinfo.value.msg == REASON


@pytest.mark.usefixtures("empty_path")
@pytest.mark.parametrize("value", ["0", "", "no"])
def test_other_values_of_the_variable_still_skip(
    require_binary: RequireBinary, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PRICEKIT_REQUIRE_SERVICES", value)
    with pytest.raises(pytest.skip.Exception):
        require_binary("redis-server", REASON)


@pytest.mark.usefixtures("services_required", "empty_path")
def test_missing_program_fails_when_services_are_required(require_binary: RequireBinary) -> None:
    with pytest.raises(pytest.fail.Exception) as excinfo:
        require_binary("redis-server", REASON)
    assert excinfo.type is pytest.fail.Exception
    assert excinfo.value.msg is not None
    assert excinfo.value.msg.startswith(REASON)
    assert "PRICEKIT_REQUIRE_SERVICES=1" in excinfo.value.msg
    assert excinfo.value.pytrace is False


@pytest.mark.usefixtures("services_required")
def test_found_program_passes_when_services_are_required(
    require_binary: RequireBinary, tmp_path: Path
) -> None:
    program = _make_program(tmp_path / "redis-server")
    assert require_binary([str(program)], REASON) == str(program)


def test_service_unavailable_skips_or_fails(
    service_unavailable: ServiceUnavailable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRICEKIT_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        service_unavailable("no postgres user")
    assert skipped.type is pytest.skip.Exception
    assert skipped.value.msg == "no postgres user"

    monkeypatch.setenv("PRICEKIT_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception) as failed:
        service_unavailable("no postgres user")
    assert failed.type is pytest.fail.Exception
    assert failed.value.msg is not None
    assert failed.value.msg.startswith("no postgres user")
