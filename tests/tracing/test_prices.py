"""The model-price table: shipped data, lookup, user overrides, and where it is used."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from prodready.cli import app
from prodready.models import Price as ModelsPrice
from prodready.testing import ScriptedModelServer, capture
from prodready.tracing import prices
from prodready.tracing.prices import Price, PricesError, PriceTable

ROOT = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def _default_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from the shipped table and leaves it in use."""
    monkeypatch.delenv(prices.PRICES_ENV, raising=False)
    prices.use(None)
    yield
    monkeypatch.delenv(prices.PRICES_ENV, raising=False)
    prices.use(None)


def test_the_shipped_table_says_when_and_where_its_prices_were_taken() -> None:
    data = json.loads((ROOT / "src/prodready/tracing/prices.json").read_text())
    assert data["about"]["taken"] and "price pages" in data["about"]["source"]
    assert len(prices.shipped()) == len(data["models"]) >= 40


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "o3",
        "o4-mini",
        "text-embedding-3-small",
        "text-embedding-3-large",
        "claude-3-5-sonnet-20241022",
        "claude-3-7-sonnet-20250219",
        "claude-sonnet-4-20250514",
        "claude-3-5-haiku-latest",
        "claude-opus-4-1-20250805",
        "gemini-1.5-pro",
        "gemini-2.0-flash",
        "gemini-2.5-flash",
        "gemini-2.5-pro",
        "mistral-large-latest",
        "mistral-small-2503",
    ],
)
def test_common_current_models_have_a_price(model: str) -> None:
    assert prices.shipped().find(model) is not None


def test_the_longest_prefix_wins_so_a_dated_mini_is_priced_as_the_mini() -> None:
    table = prices.shipped()
    assert table.find("gpt-4o-mini-2024-07-18") == table["gpt-4o-mini"] != table["gpt-4o"]
    assert table.find("claude-opus-4-5-20251101") == table["claude-opus-4-5"]
    assert table.find("claude-opus-4-20250514") == table["claude-opus-4"]


def test_lookup_ignores_case_and_a_provider_prefix() -> None:
    table = prices.shipped()
    for name in ("GPT-4o", "openai:gpt-4o", "openai/gpt-4o", "openrouter/openai/gpt-4o"):
        assert table.find(name) == table["gpt-4o"], name


def test_a_prefix_must_end_at_a_word_boundary_so_a_new_version_is_not_mispriced() -> None:
    table = prices.shipped()
    assert table.find("gpt-5.4") is None
    assert table.find("claude-3-5-sonnet@20240620") == table["claude-3-5-sonnet"]
    assert table.find("made-up-model") is None and table.find("") is None


def test_cached_input_tokens_are_part_of_the_input_and_cost_the_cached_price() -> None:
    price = Price(input=2.0, output=8.0, cached_input=0.5)
    assert price.cost(1_000, 100, 400) == pytest.approx((600 * 2.0 + 400 * 0.5 + 100 * 8.0) / 1e6)
    assert Price(input=2.0, output=8.0).cost(1_000, 0, 400) == pytest.approx(1_000 * 2.0 / 1e6)


def test_price_moved_to_tracing_and_is_still_importable_from_models() -> None:
    assert ModelsPrice is Price


def test_a_user_file_merges_over_the_shipped_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "prices.yaml"
    file.write_text(
        "models:\n  gpt-4o: {input: 1.0, output: 2.0}\n  acme-7b: {input: 0.5, output: 0.5}\n"
    )
    monkeypatch.setenv(prices.PRICES_ENV, str(file))
    table = prices.use(None)
    assert table.find("gpt-4o-2024-08-06") == Price(input=1.0, output=2.0)
    assert table.find("acme-7b-instruct") == Price(input=0.5, output=0.5)
    assert table.find("gpt-4o-mini") == prices.shipped()["gpt-4o-mini"]


def test_explicit_prices_merge_over_the_environment_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "prices.json"
    file.write_text(json.dumps({"models": {"acme-7b": {"input": 0.5, "output": 0.5}}}))
    monkeypatch.setenv(prices.PRICES_ENV, str(file))
    table = prices.use(
        {"gpt-4o": Price(input=9.0, output=9.0), "acme-8b": {"input": 1, "output": 1}}
    )
    assert prices.current() is table
    assert table.find("gpt-4o") == Price(input=9.0, output=9.0)
    assert table.find("acme-7b") is not None and table.find("acme-8b") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("models:\n  acme: {input: 1.0}\n", "models.acme: missing 'output'"),
        (
            "models:\n  acme: {input: -1, output: 1}\n",
            "models.acme.input: a price cannot be negative",
        ),
        ("models:\n  acme: {input: x, output: 1}\n", "models.acme.input: expected a number"),
        (
            "models:\n  acme: {input: 1, output: 1, cached: 1}\n",
            "models.acme: unknown field(s) ['cached']",
        ),
        ("models:\n  acme: 3\n", "models.acme: expected a mapping"),
        ("gpt-4o: {input: 1, output: 1}\n", 'expected a mapping with a "models" mapping'),
        ("models: [\n", "not valid YAML"),
    ],
)
def test_a_malformed_file_is_an_error_naming_the_file_and_the_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    file = tmp_path / "mine.yaml"
    file.write_text(text)
    with pytest.raises(PricesError) as caught:
        prices.use(file)
    assert str(file) in str(caught.value) and message in str(caught.value)


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PricesError, match=r"cannot read the price file .*nope\.json"):
        prices.load(tmp_path / "nope.json")


def test_a_bad_environment_file_never_breaks_ingest_it_falls_back_to_the_shipped_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    file = tmp_path / "bad.json"
    file.write_text("{")
    monkeypatch.setenv(prices.PRICES_ENV, str(file))
    prices._Active.table = None  # as in a fresh process
    assert prices.current() is prices.shipped()
    assert "PRODREADY_PRICES" in caplog.text and "bad.json" in caplog.text


async def test_a_model_client_without_prices_uses_the_table_in_use() -> None:
    with ScriptedModelServer(["a b c d"]) as server:
        completion = await server.client(model="openai:gpt-4o-mini").complete(
            [{"role": "user", "content": "one two"}]
        )
    assert completion.cost_usd == pytest.approx((2 * 0.15 + 4 * 0.6) / 1e6)


def test_the_table_loads_as_package_data_the_way_an_installed_wheel_reads_it() -> None:
    """The wheel (hatch, packages = ["src/prodready"]) carries prices.json beside the module;
    prodready reads it through importlib.resources, never a path relative to the source."""
    resource = resources.files("prodready.tracing").joinpath("prices.json")
    data = json.loads(resource.read_bytes())
    assert PriceTable(prices.parse(data, where="package data")) == prices.shipped()


# --- where the table is chosen: configure() and `prodready serve` ------------------------------


def test_configure_rejects_a_malformed_price_file_naming_it(tmp_path: Path) -> None:
    file = tmp_path / "bad.json"
    file.write_text('{"models": {"acme": {"input": "cheap", "output": 1}}}')
    with pytest.raises(PricesError, match=r"bad\.json: models\.acme\.input"), capture(prices=file):
        pass


def test_configure_with_prices_makes_them_the_table_in_use(tmp_path: Path) -> None:
    with capture(prices={"acme-7b": Price(input=1.0, output=1.0)}):
        assert prices.current().find("acme-7b") == Price(input=1.0, output=1.0)
    with capture():
        assert prices.current().find("acme-7b") is None


def _serve(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[Result, list[PriceTable]]:
    """`prodready serve ARGS` with the server replaced by one that notes the table in use."""
    import prodready.server

    seen: list[PriceTable] = []
    monkeypatch.setattr(prodready.server, "serve", lambda **_: seen.append(prices.current()))
    result = CliRunner().invoke(app, ["serve", *args], env={"PRODREADY_STORE_URL": None})
    return result, seen


def test_serve_prices_option_sets_the_table_before_the_server_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "prices.yaml"
    file.write_text("models:\n  acme-7b: {input: 0.5, output: 0.5, cached_input: 0.1}\n")
    result, seen = _serve(["--prices", str(file)], monkeypatch)
    assert result.exit_code == 0, result.output
    assert seen[0].find("acme-7b-chat") == Price(input=0.5, output=0.5, cached_input=0.1)


def test_serve_with_a_malformed_price_file_exits_2_naming_file_and_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "prices.yaml"
    file.write_text("models:\n  acme-7b: {input: 0.5}\n")
    result, seen = _serve(["--prices", str(file)], monkeypatch)
    assert result.exit_code == 2 and not seen
    assert f"{file}: models.acme-7b: missing 'output'" in result.output
    assert "Traceback" not in result.output
