"""Living golden datasets: versioned expert cases that grow from production failures.

>>> from prodready.evaluation import Case, Expected
>>> from prodready.evaluation.datasets import save_dataset, load_dataset, read_cases
>>> v1 = save_dataset(store, "support", read_cases("cases.jsonl"), created_by="ana")
>>> load_dataset(store, "support").version
1

The lifecycle (see ``docs/datasets.md``):

1. Experts write cases (JSONL or CSV: :func:`read_cases`) and save them as version 1
   (:func:`save_dataset`). Versions are immutable and content-hashed; saving changed cases
   makes the next version; :func:`diff_datasets` shows what changed.
2. A production trace that went wrong becomes a *candidate* (:func:`add_from_trace`).
3. A human confirms it with the expected answer (:func:`confirm_candidate`), which creates
   the next version, or rejects it (:func:`reject_candidate`).
4. CI evaluates a seeded, stratified subset (:func:`stratified_subset`) on pull requests.
"""

from prodready.evaluation.datasets._candidates import (
    add_from_trace,
    confirm_candidate,
    find_candidate_id,
    get_candidate,
    list_candidates,
    reject_candidate,
)
from prodready.evaluation.datasets._diff import CaseChange, DatasetDiff, FieldChange, diff_datasets
from prodready.evaluation.datasets._dupes import (
    DuplicateGroup,
    find_duplicates,
    input_key,
    normalise_text,
)
from prodready.evaluation.datasets._files import CSV_COLUMNS, read_cases, write_cases
from prodready.evaluation.datasets._models import (
    CANDIDATE_STATUSES,
    CandidateCase,
    CandidateNotFound,
    CandidateStatus,
    DatasetError,
    DatasetFileError,
    DatasetInfo,
    DatasetNotFound,
    DatasetVersionInfo,
    FileProblem,
)
from prodready.evaluation.datasets._store import (
    dataset_history,
    list_datasets,
    load_dataset,
    save_dataset,
)
from prodready.evaluation.datasets._subset import Strata, stratified_subset

__all__ = [
    "CANDIDATE_STATUSES",
    "CSV_COLUMNS",
    "CandidateCase",
    "CandidateNotFound",
    "CandidateStatus",
    "CaseChange",
    "DatasetDiff",
    "DatasetError",
    "DatasetFileError",
    "DatasetInfo",
    "DatasetNotFound",
    "DatasetVersionInfo",
    "DuplicateGroup",
    "FieldChange",
    "FileProblem",
    "Strata",
    "add_from_trace",
    "confirm_candidate",
    "dataset_history",
    "diff_datasets",
    "find_candidate_id",
    "find_duplicates",
    "get_candidate",
    "input_key",
    "list_candidates",
    "list_datasets",
    "load_dataset",
    "normalise_text",
    "read_cases",
    "reject_candidate",
    "save_dataset",
    "stratified_subset",
    "write_cases",
]
