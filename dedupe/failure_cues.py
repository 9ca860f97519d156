"""Does a ticket report a failure, or ask a question? Words of failure in English and Chinese.

A support lookup lists crash clusters. A ticket that says something fails ("export gives an
error", "付款失败") is describing a malfunction, so a few shared telling words are enough to list
the crash they name. A ticket that reports no failure ("how do I rotate the API key?", "是否支持双重
认证") is a question or a request, and sharing the same words with a crash is a coincidence: it
needs more agreement. On the dev tickets no unrelated ticket reported a failure and all but two
bug reports did.

Plain word lists, not a model: general failure words and their negations ("no error"), never a
product's names.
"""

from __future__ import annotations

import re

from dedupe.text import fold

_EN = re.compile(
    r"\b(?:errors?|fail\w*|crash\w*|broken|break|breaks|exceptions?|can'?t|cannot|can not|couldn'?t|unable"
    r"|(?:doesn'?t|does not|don'?t|won'?t|isn'?t|is not|not|stopped|no longer) work\w*|bugs?|freez\w*|frozen"
    r"|hangs?|wrong|missing|lost|disappear\w*)\b",
    re.I,
)
_EN_NOT = re.compile(
    r"(?:\b(?:no|not|never|nothing|without|zero)|n'?t)(?:\s+(?:had|have|has|get|got|see|saw|seen|show\w*))?"
    r"\s+(?:an?\s+|any\s+)?(?:errors?|crash\w*|exceptions?|fail\w*)\b",
    re.I)
_ZH = re.compile(r"报错|错误|失败|崩溃|无法|不能|异常|出错|坏了|打不开|不了|闪退|卡死|白屏|丢失|不见了|不显示|显示不出")
# negations, and yes/no question forms that contain a failure word ("能不能支持" = "can you support")
_ZH_NOT = re.compile(r"(?:没有|没|不|无)(?:报错|错误|异常|崩溃)|能不能|可不可以")


def reports_failure(text: str) -> bool:
    """Whether ``text`` says something fails (an error, a crash, "can't", "失败"), negations aside."""
    plain = fold(text).replace("\u2019", "'")
    plain = _ZH_NOT.sub(" ", _EN_NOT.sub(" ", plain))
    return bool(_EN.search(plain) or _ZH.search(plain))
