"""Finding the code in an SMS: Amazon's shapes, the common Chinese ones, a number beside a
code word; never a number in a link, a phone number, a date or an amount; no guess between
two; and a code for approving an account change marked as such."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.smscodes import (
    CHANGE_MARKERS,
    MAX_DIGITS,
    MIN_DIGITS,
    SHAPES,
    Ambiguous,
    Found,
    NoCode,
    find_code,
)


def code_in(text: str) -> str:
    found = find_code(text)
    assert isinstance(found, Found), (found, text)
    return found.code


# Each shape of SHAPES, with the code it must give; the Amazon ones as the issue quotes them.
SHAPED = {
    "Amazon: Your code is 228438. Don't share it…": "228438",
    "986728 is your Amazon OTP. Do not share it with anyone.": "986728",
    "300015は、Amazonのワンタイムパスワードです。他人と共有しないでください。": "300015",
    "Amazon: お客様のコードは999999です。このコードは誰とも共有しないでください。": "999999",
    "【亚马逊】您的验证码是123456，请勿泄露给他人。": "123456",
    "验证码：654321": "654321",
}


@pytest.mark.parametrize(("text", "code"), SHAPED.items())
def test_each_known_shape_gives_its_code(text: str, code: str) -> None:
    assert find_code(text) == Found(code, for_change=False)


def test_every_shape_has_a_sample_that_it_reads() -> None:
    for shape in SHAPES:
        assert any(shape.search(text) for text in SHAPED), shape.pattern


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Amazon.com: Your verification code is 4821", "4821"),
        ("Amazon: Your one-time password is: 55662211. Don't share it.", "55662211"),
        ("Your Amazon OTP is 123456.", "123456"),
        ("您的验证码为 778899，5分钟内有效。", "778899"),
        ("【淘宝】校验码是 1234，打死也不要告诉别人哦！", "1234"),
        ("驗證碼：246810", "246810"),
        ("認証コード：135790 有効期限は10分です", "135790"),
        ("Your passcode: 8642", "8642"),
        ("Use code 314159 to sign in.", "314159"),
        ("123456 is your verification code.", "123456"),
        ("G-123456 is your Google verification code.", "123456"),
        ("OTP 4321 for your login", "4321"),
        ("code:１２３４５６", "123456"),  # full-width digits, as some Japanese SMS send
        ("CODE123456", "123456"),
        ("验证码：123456 10分钟内有效", "123456"),
    ],
)
def test_a_number_beside_a_code_word_is_the_code(text: str, code: str) -> None:
    assert code_in(text) == code


def test_the_same_code_twice_is_one_code() -> None:
    assert code_in("Your code is 123456. Again, your code is 123456.") == "123456"


def test_smsforwarders_default_form_content_gives_the_code_alone() -> None:
    """The app's default `content`: sender, SMS, SIM, SubId, receive time, device."""
    content = (
        "Amazon\nAmazon: Your code is 228438. Don't share it.\n"
        "SIM1_China Mobile_+8613800138000\nSubId：1\n2026-12-08 10:00:00\nPixel 7"
    )
    assert code_in(content) == "228438"


# --- never taken --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Your code: https://amazon.com/a/c/r/123456",
        "Sign in with your code at http://example.com/?code=123456 now",
        "code deny here amazon.com/a/c/r/889900",
        "验证码见 https://t.cn/A6123456，请查收",
        "Your code is at a.co/d/7654321.",
    ],
)
def test_a_code_inside_a_link_is_not_taken(text: str) -> None:
    assert isinstance(find_code(text), NoCode), text


def test_a_link_before_chinese_text_ends_at_the_chinese() -> None:
    assert code_in("详情 https://t.cn/A6abc验证码123456") == "123456"


@pytest.mark.parametrize(
    "text",
    [
        "Your code is ready. Call +86 138 0013 8000.",
        "code: 138 0013 8000",
        "code: +1 5551 2345",
        "code: 138-0013-8000",
        "Order code: 2026-12-08",
        "code valid until 2026/12/08 10:00",
        "code 10:30:15",
        "Your code costs $12.50",
        "code ¥1234",
        "code: USD 1234",
        "code: Rs. 2500",
        "验证码费用1234元",
        "代码2026年有效 验证码",
        "code used 1234%",
        "code 12,345",
        "order #123456 code",
        "code No.1234",
        "code 123",
        "code 123456789",
        "code AB12345",
        "12345XY is not a code",
    ],
)
def test_phone_numbers_dates_amounts_and_identifiers_are_not_taken(text: str) -> None:
    assert isinstance(find_code(text), NoCode), text


def test_a_number_far_from_any_code_word_is_not_taken() -> None:
    assert isinstance(find_code("Your parcel 12345678 arrives on Tuesday."), NoCode)
    assert isinstance(find_code("Your code is below, at the very end of this text: 123456"), NoCode)


def test_a_number_in_another_sentence_is_not_the_codes() -> None:
    assert code_in("Your order 1234567 shipped. Your code is 654321.") == "654321"
    assert code_in("订单7654321已发货。验证码：112233") == "112233"


def test_an_sms_with_no_code_word_and_no_shape_has_no_code() -> None:
    assert find_code("Happy new year from your bank!") == NoCode(for_change=False)
    assert find_code("") == NoCode()


# --- no guessing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Your code is 123456 or 654321",
        "Use 111222 or 333444 as your code",
        "Amazon: Your code is 228438. 123123 is your Amazon OTP.",  # two shapes disagree
        "验证码：123456，备用验证码：654321",
        "Your code 4821, your PIN code 9137",
    ],
)
def test_an_sms_with_two_numbers_is_not_guessed(text: str) -> None:
    assert find_code(text) == Ambiguous(for_change=False)


def test_a_known_shape_wins_over_a_number_merely_near_a_code_word() -> None:
    """The shapes are tried first: another number near "code" does not make it ambiguous."""
    text = "Amazon: Your code is 228438. Don't share it. Ref code 7788."
    assert code_in(text) == "228438"


# --- a code for an account change ---------------------------------------------------------

# Each pattern of CHANGE_MARKERS, with an SMS it marks.
FOR_CHANGE = [
    "Amazon: Your code is 228438. Don't share it. If you didn't request it, deny here "
    "https://amazon.com/a/c/r/Ab12Cd",
    "【亚马逊】您的验证码是123456。如非本人操作，请点击拒绝。",
    "Amazon: Use code 445566 to approve the change. Don't share it.",
    "【亚马逊】验证码：778899，用于批准账户变更。",
    "Your code 246810 confirms the change to your security settings.",
    "验证码：135791，您正在修改安全设置。",
    "Amazon: Someone is trying to change your account. Your code is 864209.",
    "验证码：202468，有人正在尝试更改您的账户。",
]


@pytest.mark.parametrize("text", FOR_CHANGE)
def test_a_code_for_an_account_change_is_marked(text: str) -> None:
    found = find_code(text)
    assert isinstance(found, Found)
    assert found.for_change


def test_every_change_marker_has_an_sms_that_it_marks() -> None:
    for marker in CHANGE_MARKERS:
        assert any(marker.search(text) for text in FOR_CHANGE), marker.pattern


@pytest.mark.parametrize(
    "text",
    [
        *SHAPED,
        "Your code is 123456. Denying access to strangers since 1999.",  # not "deny"
        "Use code 445566. Approvers are notified.",
        "Your Amazon account: code 123456.",
    ],
)
def test_a_sign_in_code_is_not_marked(text: str) -> None:
    assert not find_code(text).for_change


def test_an_sms_about_a_change_without_a_code_still_says_so() -> None:
    assert find_code("Your account settings were changed.") == NoCode(for_change=True)
    assert find_code("deny: code 123456 or 654321") == Ambiguous(for_change=True)


def test_a_deny_link_marks_the_code_even_inside_the_link() -> None:
    assert find_code("Your code is 123456. https://amazon.com/ap/deny?x=1") == Found(
        "123456", for_change=True
    )


def test_the_repr_of_a_found_code_shows_no_code() -> None:
    assert "228438" not in repr(find_code(next(iter(SHAPED))))


# --- properties ---------------------------------------------------------------------------

CODES = st.integers(min_value=MIN_DIGITS, max_value=MAX_DIGITS).flatmap(
    lambda n: st.text("0123456789", min_size=n, max_size=n)
)


@given(text=st.text(max_size=400))
def test_any_text_gives_a_result_never_an_error(text: str) -> None:
    found = find_code(text)
    assert isinstance(found, Found | NoCode | Ambiguous)
    if isinstance(found, Found):
        assert re.fullmatch(r"[0-9]{4,8}", found.code)
        assert found.code in text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))


@given(code=CODES)
def test_any_code_in_a_known_shape_is_found(code: str) -> None:
    assert code_in(f"Amazon: Your code is {code}. Don't share it.") == code
    assert code_in(f"【亚马逊】您的验证码是{code}，请勿泄露。") == code


@given(code=CODES, path=st.text("abcXYZ/-_", max_size=10))
def test_any_code_only_in_a_link_is_never_found(code: str, path: str) -> None:
    text = f"Your code: https://amazon.com/{path}{code} and amazon.com/a/{code}"
    assert isinstance(find_code(text), NoCode)


@given(first=CODES, second=CODES)
def test_two_codes_are_never_guessed_between(first: str, second: str) -> None:
    found = find_code(f"Your code is {first} or {second}")
    assert found == (Found(first, False) if first == second else Ambiguous())
