"""Randomly damaged OTLP requests get 200 or 400, never a server error (seeded, repeatable)."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.server.builders import JSON, PROTOBUF, as_json, tree

JUNK: list[Any] = [
    None,
    0,
    -1,
    2**63,
    2**64 - 1,
    1.5,
    "",
    "x",
    "ff" * 8,
    "NaN",
    [],
    {},
    True,
    [1, "a"],
    {"stringValue": 1},
]


def damage_bytes(body: bytes, rnd: random.Random) -> bytes:
    out = bytearray(body)
    for _ in range(rnd.randint(1, 4)):
        pos = rnd.randrange(len(out))
        choice = rnd.random()
        if choice < 0.5:
            out[pos] = rnd.randrange(256)
        elif choice < 0.75:
            del out[pos]
        else:
            out.insert(pos, rnd.randrange(256))
    return bytes(out)


def damage_json(node: Any, rnd: random.Random) -> None:
    """Replace one value somewhere in the tree with junk."""
    while isinstance(node, dict | list) and node:
        key = rnd.choice(list(node)) if isinstance(node, dict) else rnd.randrange(len(node))
        if rnd.random() < 0.3 or not isinstance(node[key], dict | list):
            node[key] = rnd.choice(JUNK)
            return
        node = node[key]


@pytest.mark.parametrize("seed", range(3))
def test_damaged_protobuf_never_causes_a_server_error(client: TestClient, seed: int) -> None:
    rnd, body = random.Random(seed), tree().SerializeToString()
    for _ in range(100):
        resp = client.post("/v1/traces", content=damage_bytes(body, rnd), headers=PROTOBUF)
        assert resp.status_code in (200, 400), resp.content


@pytest.mark.parametrize("seed", range(3))
def test_damaged_json_never_causes_a_server_error(client: TestClient, seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(100):
        data = as_json(tree())
        damage_json(data, rnd)
        resp = client.post("/v1/traces", content=orjson.dumps(data), headers=JSON)
        assert resp.status_code in (200, 400), (data, resp.content)
