"""The 11-test (elfproef) of Dutch 9-digit numbers: BSN and the loonheffingennummer's first part.

Its one home: the sandbox generates numbers that pass it, and ``employers.identifiers`` validates
what people type with it. A leaf module without imports, so any part of the project may use it
without ``locket_client`` depending on an app.
"""

from __future__ import annotations

__all__ = ["ELEVEN_TEST_WEIGHTS", "eleven_test", "eleven_test_check_digit"]

#: The weights of the first eight digits.
ELEVEN_TEST_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def eleven_test(nine_digits: str) -> bool:
    """Whether a 9-digit number (BSN, or loonheffingennummer without ``Lnn``) passes the 11-test.

    The rule the Belastingdienst uses for both: weigh the first eight digits 9..2, subtract the
    ninth digit, and the sum must be divisible by 11. Anything that is not exactly nine ASCII digits
    fails.
    """
    if len(nine_digits) != 9 or not nine_digits.isascii() or not nine_digits.isdigit():
        return False
    return eleven_test_check_digit(nine_digits[:8]) == int(nine_digits[8])


def eleven_test_check_digit(first_eight: str) -> int | None:
    """The ninth digit that makes ``first_eight`` (eight ASCII digits) pass, or ``None``.

    The weighted sum modulo 11 is the only candidate; a prefix whose candidate would be 10 has no
    valid number at all.
    """
    check = sum(int(d) * w for d, w in zip(first_eight, ELEVEN_TEST_WEIGHTS, strict=True)) % 11
    return check if check < 10 else None
