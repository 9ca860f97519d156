"""Whether a ticket reports a failure decides how much agreement its lookup needs to answer known."""

from __future__ import annotations

import pytest

from dedupe.failure_cues import reports_failure
from dedupe.ticket_match import KNOWN, KNOWN_FAILURE, KNOWN_OTHER, Ranked, known, known_threshold

FAILURES = [
    "Checkout fails with a blank page",
    "Saving the form gives an error",
    "The app crashed twice today",
    "I can't log in since the update",
    "It doesn\u2019t work on Safari",
    "Search stopped working",
    "Ｅｒｒｏｒ on the settings page",  # full-width letters
    "导出订单时报错",
    "付款失败",
    "应用一打开就闪退",
    "下载不了发票",
]
QUESTIONS = [
    "How do I rotate the API key?",
    "Can we change the invoice logo?",
    "The totals differ from accounting, but there is no error",
    "Nothing crashes, the report is just slow",
    "It doesn't crash, but where is the dark mode setting?",
    "We never had an error with it; can we add a second warehouse?",
    "Is there a way to export every customer?",
    "是否支持双重认证？",
    "能不能支持微信支付？",
    "没有报错，但是数字不一样",
    "",
]


@pytest.mark.parametrize("text", FAILURES)
def test_failures_in_english_and_chinese(text: str) -> None:
    assert reports_failure(text)


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_requests_and_negations_report_none(text: str) -> None:
    assert not reports_failure(text)


def test_a_failure_needs_less_agreement_than_a_question() -> None:
    assert KNOWN_FAILURE < KNOWN < KNOWN_OTHER
    middling = [Ranked(1, 0.45, (), ("text",))]
    assert known(middling, known_threshold("Export fails for some orders"))
    assert not known(middling, known_threshold("How do I export some orders?"))
    assert known_threshold("") == KNOWN  # a crash id alone
