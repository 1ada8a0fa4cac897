"""The datasets repository: immutable, content-hashed versions over deduplicated case bodies.

It owns the tables ``datasets``, ``dataset_versions``, ``dataset_cases`` and
``case_contents``, and every write to them is here (the runner stores the bodies of the
cases it runs with :func:`store_case_bodies`; candidates are confirmed with
:func:`save_version`). Everything goes through ``store.db``.

A version is a list of ``(case id, body hash)`` rows in ``dataset_cases``; each body (the
full case JSON, tags and provenance included) is stored once in ``case_contents`` under its
hash, so a version that changes one case of a thousand adds one body and a thousand rows.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, func, select

from prodready.evaluation._tables import case_contents, dataset_cases, dataset_versions, datasets
from prodready.evaluation._types import Case, DatasetVersion
from prodready.evaluation.datasets._dupes import find_duplicates
from prodready.evaluation.datasets._models import (
    DatasetError,
    DatasetInfo,
    DatasetNotFound,
    DatasetVersionInfo,
)
from prodready.store import Store
from prodready.vocabulary.canonical import canonical_json, text_hash

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
RETRIES = 4
"""How many more times a dataset write (a transaction that reads, then writes) runs again
when a concurrent writer took the same key in between (``store.db.transaction``)."""
_MAX_LISTED = 20


def case_body(case: Case) -> tuple[str, str]:
    """``(hash, JSON)`` of the full case; the hash is of exactly the stored JSON."""
    body = canonical_json(case.model_dump(mode="json"))
    return text_hash(body), body


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise DatasetError(
            f"invalid dataset name {name!r}: use up to 200 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )


def check_cases(name: str, cases: Sequence[Case], *, allow_duplicates: bool) -> None:
    """Refuse repeated case ids, and exact duplicate inputs unless they are allowed."""
    counts = Counter(c.id for c in cases)
    repeated = [cid for cid, n in counts.items() if n > 1]
    if repeated:
        raise DatasetError(f"dataset {name!r}: case ids must be unique; repeated: {_ids(repeated)}")
    if allow_duplicates:
        return
    groups = find_duplicates(cases, near=False)
    if groups:
        listed = "; ".join(" = ".join(g.case_ids) for g in groups)
        raise DatasetError(
            f"dataset {name!r}: cases with the same input (ignoring case, punctuation and "
            f"spacing): {listed}; remove them or pass allow_duplicates=True"
        )


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_MAX_LISTED])
    return shown + (f" and {len(ids) - _MAX_LISTED} more" if len(ids) > _MAX_LISTED else "")


def save_dataset(
    store: Store,
    name: str,
    cases: Iterable[Case],
    *,
    created_by: str | None = None,
    message: str | None = None,
    description: str | None = None,
    allow_duplicates: bool = False,
) -> DatasetVersion:
    """Save ``cases`` as the next version of dataset ``name`` (version 1 if it is new).

    Versions are immutable: a save never changes an earlier version. Saving exactly the
    cases of the current version (same ids, same full content, same order) creates nothing
    and returns the current version. Everything happens in one transaction.

    Args:
        store: where the dataset lives.
        name: the dataset's name: letters, digits, ``.``, ``_``, ``-``.
        cases: the version's cases, in order; ids must be unique.
        created_by: who saved this version.
        message: why (like a commit message).
        description: the dataset's description (set or replaced; not versioned).
        allow_duplicates: keep cases whose inputs are equal after normalisation.

    Raises:
        DatasetError: invalid name, repeated case ids, or duplicate inputs (naming them).
    """
    cases = list(cases)
    check_name(name)
    check_cases(name, cases, allow_duplicates=allow_duplicates)
    return store.db.transaction(
        lambda conn: save_version(
            store,
            conn,
            name,
            cases,
            created_by=created_by,
            message=message,
            description=description,
        ),
        retry_on_conflict=RETRIES,
    )


def save_version(
    store: Store,
    conn: Connection,
    name: str,
    cases: list[Case],
    *,
    created_by: str | None,
    message: str | None,
    description: str | None = None,
) -> DatasetVersion:
    """The body of :func:`save_dataset`, inside the caller's transaction (cases checked)."""
    now = time.time_ns()
    store.db.insert_ignore(
        conn,
        datasets,
        [
            {
                "name": name,
                "description": description,
                "created_at_ns": now,
                "created_by": created_by,
            }
        ],
    )
    if description is not None:
        conn.execute(
            datasets.update().where(datasets.c.name == name).values(description=description)
        )
    lock_dataset(conn, name)
    latest = latest_version(conn, name)
    bodies = [(case.id, *case_body(case)) for case in cases]
    if latest is not None and _rows(conn, name, latest) == [(cid, h) for cid, h, _ in bodies]:
        return load_version(conn, name, latest)
    version = (latest or 0) + 1
    digest = DatasetVersion.hash_cases(cases)
    _insert_bodies(store, conn, [(h, body) for _, h, body in bodies])
    conn.execute(
        dataset_versions.insert().values(
            dataset=name,
            version=version,
            content_hash=digest,
            case_count=len(cases),
            created_at_ns=now,
            created_by=created_by,
            message=message,
        )
    )
    if bodies:
        conn.execute(
            dataset_cases.insert(),
            [
                {
                    "dataset": name,
                    "version": version,
                    "case_id": cid,
                    "content_hash": h,
                    "position": n,
                }
                for n, (cid, h, _) in enumerate(bodies)
            ],
        )
    return DatasetVersion(
        name=name,
        version=version,
        content_hash=digest,
        cases=cases,
        created_at_ns=now,
        created_by=created_by,
        message=message,
    )


def lock_dataset(conn: Connection, name: str) -> None:
    """Serialise writers of one dataset until the transaction ends (a row lock on PostgreSQL;
    SQLite holds its database write lock from a transaction's first write)."""
    conn.execute(select(datasets.c.name).where(datasets.c.name == name).with_for_update())


def store_case_bodies(store: Store, conn: Connection, cases: Sequence[Case]) -> dict[str, str]:
    """Store the bodies of ``cases`` in ``case_contents`` (each content once; a body already
    stored is left as it is), inside the caller's transaction; case id -> body hash.

    What the runner calls, so a run remembers the cases it ran whatever they came from.
    """
    bodies = {case.id: case_body(case) for case in cases}
    _insert_bodies(store, conn, list(bodies.values()))
    return {case_id: h for case_id, (h, _) in bodies.items()}


def _insert_bodies(store: Store, conn: Connection, bodies: Sequence[tuple[str, str]]) -> None:
    rows = {h: {"content_hash": h, "body": body} for h, body in bodies}
    store.db.insert_ignore(conn, case_contents, list(rows.values()))


def latest_version(conn: Connection, name: str) -> int | None:
    stmt = select(func.max(dataset_versions.c.version)).where(dataset_versions.c.dataset == name)
    value = conn.execute(stmt).scalar_one_or_none()
    return None if value is None else int(value)


def _rows(conn: Connection, name: str, version: int) -> list[tuple[str, str]]:
    stmt = (
        select(dataset_cases.c.case_id, dataset_cases.c.content_hash)
        .where(dataset_cases.c.dataset == name, dataset_cases.c.version == version)
        .order_by(dataset_cases.c.position)
    )
    return [(r.case_id, r.content_hash) for r in conn.execute(stmt)]


def load_dataset(store: Store, name: str, version: int | None = None) -> DatasetVersion:
    """One version of a dataset, with its cases in order.

    Args:
        store: where the dataset lives.
        name: the dataset's name.
        version: the version number; the latest if ``None``.

    Raises:
        DatasetNotFound: no such dataset or version (the message lists what exists).
    """
    with store.db.connect() as conn:
        return load_version(conn, name, version)


def load_version(conn: Connection, name: str, version: int | None) -> DatasetVersion:
    number = latest_version(conn, name) if version is None else version
    head = None
    if number is not None:
        head = conn.execute(
            select(dataset_versions).where(
                dataset_versions.c.dataset == name, dataset_versions.c.version == number
            )
        ).first()
    if head is None:
        raise not_found(conn, name, version)
    stmt = (
        select(case_contents.c.body)
        .select_from(
            dataset_cases.join(
                case_contents, dataset_cases.c.content_hash == case_contents.c.content_hash
            )
        )
        .where(dataset_cases.c.dataset == name, dataset_cases.c.version == number)
        .order_by(dataset_cases.c.position)
    )
    cases = [Case.model_validate_json(body) for body in conn.execute(stmt).scalars()]
    return DatasetVersion(
        name=name,
        version=head.version,
        content_hash=head.content_hash,
        cases=cases,
        created_at_ns=head.created_at_ns,
        created_by=head.created_by,
        message=head.message,
    )


def not_found(conn: Connection, name: str, version: int | None) -> DatasetNotFound:
    latest = latest_version(conn, name)
    if latest is not None:
        span = "version 1" if latest == 1 else f"versions 1 to {latest}"
        return DatasetNotFound(f"dataset {name!r} has no version {version}; it has {span}")
    names = list(conn.execute(select(datasets.c.name).order_by(datasets.c.name)).scalars())
    known = f"datasets: {_ids(names)}" if names else "the store has no datasets yet"
    return DatasetNotFound(f"no dataset {name!r}; {known}")


def list_datasets(store: Store) -> list[DatasetInfo]:
    """Every dataset with its latest version, by name."""
    newest = (
        select(dataset_versions.c.dataset, func.max(dataset_versions.c.version).label("version"))
        .group_by(dataset_versions.c.dataset)
        .subquery()
    )
    v = dataset_versions
    stmt = (
        select(
            datasets,
            v.c.version,
            v.c.case_count,
            v.c.content_hash,
            v.c.created_at_ns.label("updated_at_ns"),
        )
        .join(newest, newest.c.dataset == datasets.c.name)
        .join(v, (v.c.dataset == newest.c.dataset) & (v.c.version == newest.c.version))
        .order_by(datasets.c.name)
    )
    with store.db.connect() as conn:
        return [
            DatasetInfo(
                name=r.name,
                description=r.description,
                latest_version=r.version,
                case_count=r.case_count,
                content_hash=r.content_hash,
                created_at_ns=r.created_at_ns,
                updated_at_ns=r.updated_at_ns,
                created_by=r.created_by,
            )
            for r in conn.execute(stmt)
        ]


def dataset_history(store: Store, name: str) -> list[DatasetVersionInfo]:
    """Every version of a dataset, oldest first, without the cases.

    Raises:
        DatasetNotFound: no such dataset.
    """
    stmt = (
        select(dataset_versions)
        .where(dataset_versions.c.dataset == name)
        .order_by(dataset_versions.c.version)
    )
    with store.db.connect() as conn:
        rows = conn.execute(stmt).all()
        if not rows:
            raise not_found(conn, name, None)
    return [
        DatasetVersionInfo(
            name=r.dataset,
            version=r.version,
            content_hash=r.content_hash,
            case_count=r.case_count,
            created_at_ns=r.created_at_ns,
            created_by=r.created_by,
            message=r.message,
        )
        for r in rows
    ]
