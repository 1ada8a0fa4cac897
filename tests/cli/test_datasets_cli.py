"""`prodready datasets ...`: import, list, show, export, diff, and the candidate flow.

Until ``prodready.cli`` mounts the ``datasets`` group, these tests mount it on a fresh copy of
the root command (so ``--store`` and the other root options work as they will for users).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from sqlalchemy import update
from typer.models import TyperInfo
from typer.testing import CliRunner, Result

from prodready.cli import _datasets, app
from prodready.evaluation._tables import candidate_cases
from prodready.evaluation.datasets import list_candidates, load_dataset, read_cases
from prodready.store import Store
from tests.cli.factories import T1, T3, support_trace

JSONL = (
    '{"id": "pin", "input": "How do I reset my PIN?", "expected": {"reference": "In the app."}, '
    '"tags": ["card"]}\n'
    '{"id": "refund", "input": "How long do refunds take?", "expected": {"reference": "14 days."}, '
    '"tags": ["refund"]}\n'
)

Run = Callable[..., Result]


def root_app() -> typer.Typer:
    """``prodready.cli.app``, with the ``datasets`` group added if it is not wired in yet."""
    if any(group.typer_instance is _datasets.app for group in app.registered_groups):
        return app
    root = copy.copy(app)  # shallow: the real app's lists are not touched
    root.registered_groups = [*app.registered_groups, TyperInfo(_datasets.app)]
    return root


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'x.db'}"


@pytest.fixture
def run(url: str) -> Run:
    """``prodready --store URL datasets ARGS...``, in process."""
    command, runner = root_app(), CliRunner()

    def invoke(*args: str) -> Result:
        env = {"COLUMNS": "200", "PRODREADY_STORE_URL": None}
        return runner.invoke(command, ["--store", url, "datasets", *args], env=env)

    return invoke


@pytest.fixture
def cases_file(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text(JSONL, encoding="utf-8")
    return path


@pytest.fixture
def imported(run: Run, cases_file: Path) -> None:
    result = run("import", "support", str(cases_file), "--by", "ana", "--message", "expert cases")
    assert result.exit_code == 0, result.output


def test_import_creates_version_1_in_a_new_store(run: Run, cases_file: Path) -> None:
    result = run("import", "support", str(cases_file), "--by", "ana")
    assert result.exit_code == 0, result.output
    assert "Saved support v1: 2 cases (sha256:" in result.stdout


def test_importing_the_same_file_again_changes_nothing(
    run: Run, cases_file: Path, imported: None
) -> None:
    result = run("import", "support", str(cases_file))
    assert (
        result.exit_code == 0 and "No changes: support v1 already has these cases." in result.stdout
    )


def test_import_of_malformed_file_exits_2_with_every_located_error(
    run: Run, tmp_path: Path, url: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,input,split\na,hi,dev\nb,,dev\nc,yo,prod\n", encoding="utf-8")
    result = run("import", "support", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:3: field 'input': must not be blank" in result.stderr
    assert f"{bad}:4: field 'split': must be one of dev, validation, holdout" in result.stderr
    assert not Path(url.removeprefix("sqlite:///")).exists()


def test_import_refuses_duplicate_inputs_naming_cases(run: Run, tmp_path: Path) -> None:
    dupes = tmp_path / "d.csv"
    dupes.write_text("id,input\na,Reset my PIN\nb,reset my pin!\n", encoding="utf-8")
    result = run("import", "support", str(dupes))
    assert result.exit_code == 2 and "a = b" in result.stderr


def test_list_shows_latest_version_and_count(run: Run, imported: None) -> None:
    result = run("list")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1].split()[:3] == ["support", "v1", "2"]
    [row] = json.loads(run("list", "--json").stdout)
    assert (row["name"], row["latest_version"], row["case_count"]) == ("support", 1, 2)


def test_show_prints_header_cases_and_history(run: Run, imported: None) -> None:
    out = run("show", "support").stdout
    assert "v1 (latest)" in out and "How do I reset my PIN?" in out and "expert cases" in out
    loaded = json.loads(run("show", "support", "--version", "1", "--json").stdout)
    assert [c["id"] for c in loaded["cases"]] == ["pin", "refund"]


def test_show_unknown_dataset_exits_1_listing_names(run: Run, imported: None) -> None:
    result = run("show", "suport")
    assert result.exit_code == 1 and "no dataset 'suport'; datasets: support" in result.stderr


def test_export_writes_a_file_that_reads_back_equal(
    run: Run, imported: None, tmp_path: Path, url: str
) -> None:
    out = tmp_path / "out.csv"
    assert run("export", "support", str(out)).exit_code == 0
    with Store(url) as store:
        assert read_cases(out) == load_dataset(store, "support").cases


def test_diff_marks_added_removed_and_changed(run: Run, imported: None, tmp_path: Path) -> None:
    v2 = tmp_path / "v2.jsonl"
    v2.write_text(
        '{"id": "pin", "input": "How do I reset my PIN?", "expected": {"reference": "Card tab."}, '
        '"tags": ["card"]}\n{"id": "fraud", "input": "Someone used my card"}\n',
        encoding="utf-8",
    )
    assert run("import", "support", str(v2)).exit_code == 0
    out = run("diff", "support", "1", "2").stdout
    assert "1 added, 1 removed, 1 changed, 0 unchanged" in out
    assert '+ fraud\n- refund\n~ pin\n    expected.reference: "In the app." -> "Card tab."' in out


@pytest.fixture
def proposed(run: Run, imported: None, url: str) -> str:
    """A production trace proposed as a candidate for `support`; the candidate's id."""
    records = support_trace(T1, time.time_ns())
    records[0].attributes["prodready.input"] = json.dumps({"question": "Can I get cash back?"})
    records[0].attributes["prodready.output"] = "Yes, any amount."
    with Store(url) as store:
        store.write_spans(records)
    result = run("add-trace", "support", T1[:10], "--by", "ops", "--reason", "no cash back")
    assert result.exit_code == 0, result.output
    with Store(url) as store:
        [candidate] = list_candidates(store, "support")
    return candidate.id


def test_add_trace_prints_candidate_and_suggestions(run: Run, proposed: str) -> None:
    out = run("candidates").stdout
    assert proposed in out and "Can I get cash back?" in out and "Yes, any amount." in out
    [row] = json.loads(run("candidates", "--dataset", "support", "--json").stdout)
    assert row["case"]["provenance"] == f"trace:{T1}" and row["suggested"]["intent"] == "refund"


def test_confirm_adds_the_case_as_next_version(run: Run, proposed: str, url: str) -> None:
    result = run(
        "confirm", proposed, "--by", "lead", "--reference", "No; cash back is not offered."
    )
    assert result.exit_code == 0, result.output
    assert "support v2 now has 3 cases" in result.stdout
    with Store(url) as store:
        case = load_dataset(store, "support").cases[-1]
    assert (
        case.expected.reference == "No; cash back is not offered."
        and case.provenance == f"trace:{T1}"
    )


def test_confirm_with_suggestion_takes_output_and_intent(run: Run, proposed: str, url: str) -> None:
    assert run("confirm", proposed, "--by", "lead", "--use-suggested").exit_code == 0
    with Store(url) as store:
        expected = load_dataset(store, "support").cases[-1].expected
    assert (expected.reference, expected.intent) == ("Yes, any amount.", "refund")


def test_confirm_without_an_answer_exits_1_with_a_hint(run: Run, proposed: str) -> None:
    result = run("confirm", proposed, "--by", "lead")
    assert result.exit_code == 1 and "--use-suggested" in result.stderr


def test_confirm_by_nobody_exits_2(run: Run, proposed: str) -> None:
    assert run("confirm", proposed, "--reference", "x").exit_code == 2
    result = run("confirm", proposed, "--by", " ", "--reference", "x")
    assert result.exit_code == 2 and "must name a person" in result.stderr


def test_reject_then_confirm_is_refused(run: Run, proposed: str) -> None:
    assert run("reject", proposed, "--by", "lead", "--note", "agent was right").exit_code == 0
    assert proposed in run("candidates", "--status", "rejected").stdout
    result = run("confirm", proposed, "--by", "lead", "--reference", "x")
    assert result.exit_code == 1 and "already rejected by lead" in result.stderr


def test_unknown_candidate_exits_1(run: Run, imported: None) -> None:
    result = run("reject", "nope", "--by", "lead")
    assert result.exit_code == 1 and "no candidate case 'nope'" in result.stderr


def test_confirm_takes_a_unique_prefix_of_the_candidate_id(run: Run, proposed: str) -> None:
    result = run("confirm", proposed[:8], "--by", "lead", "--use-suggested")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Confirmed {proposed}: support v2")


def test_reject_takes_a_unique_prefix_of_the_candidate_id(run: Run, proposed: str) -> None:
    result = run("reject", proposed[:6], "--by", "lead")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Rejected {proposed} ")


def test_an_ambiguous_candidate_prefix_exits_2_listing_the_matches(
    run: Run, proposed: str, url: str
) -> None:
    with Store(url) as store:
        records = support_trace(T3, time.time_ns())
        store.write_spans(records)
        assert run("add-trace", "support", T3, "--by", "ops", "--reason", "r").exit_code == 0
        ids = sorted(c.id for c in list_candidates(store, "support"))
        with store.engine.begin() as conn:
            for old, new in zip(ids, ("abcd1111", "abcd2222"), strict=True):
                conn.execute(
                    update(candidate_cases).where(candidate_cases.c.id == old).values(id=new)
                )
    result = run("confirm", "abcd", "--by", "lead", "--use-suggested")
    assert result.exit_code == 2
    assert "candidate id prefix 'abcd' is ambiguous: abcd1111, abcd2222" in result.stderr
