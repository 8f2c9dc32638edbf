"""Regular expressions of the ``contains_*`` constraints (Java regex syntax, *find* semantics).

Written for this project from the public format rules named on each pattern; they are deliberately
strict about structure (so a random number is not a credit card) and loose about surroundings (a match
anywhere in the text counts, like Deequ's ``contains*`` constraints).
"""

from __future__ import annotations

__all__ = ["CREDIT_CARD", "EMAIL", "SOCIAL_SECURITY_NUMBER", "URL"]

#: local@domain.tld — RFC 5322's common "dot-atom" subset: letters, digits and ._%+- in the local
#: part, dot-separated labels and an alphabetic top-level domain of at least two letters.
EMAIL = (
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
)

#: scheme://host[...] for http, https and ftp (RFC 3986 generic syntax, no whitespace).
URL = r"(?i)\b(?:https?|ftp)://[^\s/$.?#][^\s]*"

#: Visa (4, 13 or 16 digits), Mastercard (51-55, 16), Discover (6011/65, 16) in blocks of four with an
#: optional consistent space or dash separator, and American Express (34/37, 15 as 4-6-5) — the issuer
#: prefixes and lengths of ISO/IEC 7812 issuer identification numbers.
CREDIT_CARD = (
    r"\b(?:4\d{12}(?:\d{3})?"
    r"|(?:4\d{3}|5[1-5]\d{2}|6011|65\d{2})([ -]?)\d{4}\1\d{4}\1\d{4}"
    r"|3[47]\d{2}([ -]?)\d{6}\2\d{5})\b"
)

#: AAA-GG-SSSS with the Social Security Administration's never-issued values excluded: area 000, 666
#: and 900-999, group 00, serial 0000.
SOCIAL_SECURITY_NUMBER = r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b"
