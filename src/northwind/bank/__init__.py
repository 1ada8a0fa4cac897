"""Northwind Bank: its policy documents, its core-banking database and the agent's tools.

- :func:`load_policies` reads the policy documents (Markdown with YAML front matter) shipped
  in ``northwind/bank/policies/``, rendered from one table of reviewed facts
  (``python -m northwind.bank.render``).
- :func:`build_bank` writes a deterministic synthetic core-banking SQLite database.
- :class:`Bank` is the agent's tools over it: ``card_status``, ``block_card``,
  ``transfer_status``, ``recent_transfer``, ``top_up_status``, ``recent_top_up``,
  ``balance`` and ``exchange_rate``.
"""

from northwind.bank._core import (
    TODAY,
    Balance,
    Bank,
    CardStatus,
    TopUpStatus,
    TransferStatus,
    UnknownIdError,
    build_bank,
)
from northwind.bank._policies import Policy, PolicyError, banking77_intents, load_policies

__all__ = [
    "TODAY",
    "Balance",
    "Bank",
    "CardStatus",
    "Policy",
    "PolicyError",
    "TopUpStatus",
    "TransferStatus",
    "UnknownIdError",
    "banking77_intents",
    "build_bank",
    "load_policies",
]
