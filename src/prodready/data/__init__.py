"""Data foundation: PII detection and redaction (more of the data pillar grows here).

>>> from prodready.data import detect_pii, redact_pii
>>> redact_pii("IBAN GB82 WEST 1234 5698 7654 32")
'IBAN [iban]'
"""

from prodready.data.pii import (
    PII_KINDS,
    PiiKind,
    PiiMatch,
    detect_pii,
    iban_valid,
    luhn_valid,
    pii_redactor,
    redact_pii,
)

__all__ = [
    "PII_KINDS",
    "PiiKind",
    "PiiMatch",
    "detect_pii",
    "iban_valid",
    "luhn_valid",
    "pii_redactor",
    "redact_pii",
]
