"""The contains_* patterns on labelled examples (Python's re as the reference engine; the patterns use
only syntax that Java's regex, used by Spark's rlike, reads the same way)."""

from __future__ import annotations

import re

import pytest
from pyspark.sql import functions as F

from spark_mlops.quality.checks import patterns

CASES = {
    "EMAIL": (
        ["bob@example.com", "write to a.b-c+tag@mail.co.uk today", "X_Y%1@sub.domain.io"],
        ["bob@example", "@example.com", "bob at example.com", "a@b.c", "plain"],
    ),
    "URL": (
        ["https://spark.apache.org/docs", "see http://example.com", "FTP://files.example.org/x.tgz"],
        ["spark.apache.org", "http:/broken", "https:// space.com", "mailto:bob@example.com"],
    ),
    "CREDIT_CARD": (
        # Published test numbers of the card networks' sandboxes (Visa, Mastercard, Amex, Discover).
        [
            "4111111111111111",
            "4111 1111 1111 1111",
            "5500-0000-0000-0004",
            "378282246310005",
            "3782 822463 10005",
            "6011111111111117",
            "card: 4012888888881881 exp",
        ],
        ["1234567890123456", "4111 1111-1111 1111", "41111111111111111111", "5600000000000004", "411111"],
    ),
    "SOCIAL_SECURITY_NUMBER": (
        ["123-45-6789", "ssn 078-05-1120 on file"],
        [
            "000-12-3456",
            "666-12-3456",
            "912-34-5678",
            "123-00-4567",
            "123-45-0000",
            "123456789",
            "1123-45-67890",
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_pattern_matches_positives_and_rejects_negatives(name: str) -> None:
    regex = re.compile(getattr(patterns, name))
    positives, negatives = CASES[name]
    assert [p for p in positives if not regex.search(p)] == []
    assert [n for n in negatives if regex.search(n)] == []


def test_patterns_match_the_same_in_spark(spark) -> None:  # type: ignore[no-untyped-def]
    texts = sorted({t for pos, neg in CASES.values() for t in (*pos, *neg)})
    df = spark.createDataFrame([(t,) for t in texts], "t string")
    names = sorted(CASES)
    row = df.agg(*[F.count_if(df.t.rlike(getattr(patterns, n))).alias(n) for n in names]).first()
    for name in names:
        expected = sum(1 for t in texts if re.search(getattr(patterns, name), t))
        assert row[name] == expected, name
