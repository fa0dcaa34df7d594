"""Redis-exact number helpers: the long double arithmetic behind INCRBYFLOAT (parse, round, print)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cacheserver.numbers import format_long_double_human, parse_long_double, round_long_double

# (value, increment, what INCRBYFLOAT answered) recorded from redis-server 7.0.15 on x86-64.
RECORDED = [
    ("10.5", "0.1", "10.6"),
    ("5.0e3", "2.0e2", "5200"),
    ("3.0e3", "1e-5", "3000.00001000000000007"),
    ("1e-5", "1e-5", "0.00002"),
    ("-5.5", "5.4", "-0.1"),
    ("0.1", "-0.3", "-0.2"),
    ("1e300", "1e300", "2000000000000000000017994648159118387741047888546581495876520164642531293192361871511698304167500994380700745017228549671807185112369345967826192521041497292574654271283687306588168510215212033579453305864740061102765895241989080589545563779241212358535223254194821301134374772211380178849830208012288"),
    ("1.7976931348623157e308", "1.7976931348623157e308", "359538626972463139991842093548208868096772893888658356970628841530353257046248792709403737216774171128857586838851041378617416726902272110715794556052955234146997955372576789671236326588091188869859074894581254961338834769297758245552436667197907705664206565009503223382416235440319971852753604933726679072768"),
    ("4.9e-324", "0", "0"),
    ("0.3333333333333333333333", "0", "0.33333333333333333"),
    ("2", "0.0000000000000000001", "2"),
    ("1e18", "0.5", "1000000000000000000.5"),
    ("1e19", "0.5", "10000000000000000000"),
    ("18446744073709551615", "1", "18446744073709551616"),
    ("-1e-10", "1e-10", "0"),
    ("12345.6789", "-12345.6789", "0"),
    ("0x1.fffffffffffffffep0", "0", "2"),
    ("7", "-7.00000000000000000001", "0"),
    ("5031510.4625011683", "49e-16", "5031510.46250116830015031"),
    ("242968209.9306435585021972656", "-138e9", "-137757031790.06935644149780273"),
    ("-1.1781000733473788e-21", "258e-17", "0.00000000000000258"),
    ("633522705.704742670", "-79e-22", "633522705.70474267000099644"),
    ("-0.01942652941660672", "-569e3", "-569000.01942652941659162"),
    ("-8863e-3", "649e2", "64891.13700000000000045"),
    ("2.717509325917744e-18", "481e-1", "48.1"),
    ("76129440.84587502479553223", "-410e7", "-4023870559.15412497520446777"),
    ("407951082.53382658958435058594", "183e-3", "407951082.71682658957433887"),
    ("-272915535.25518596172", "-135e-17", "-272915535.25518596172332764"),
    ("53543e10", "21e-15", "535430000000000"),
    ("32739e23", "776e9", "3273900000000000775988183040"),
    ("37535e-9", "730e4", "7300000.00003753500004677"),
    ("8524662402.609504", "51e-21", "8524662402.60950399981811643"),
    ("-5.509502624597204e-13", "676e-19", "-0.00000000000055088"),
    ("4.643308947719115e-16", "470e5", "47000000"),
    ("-62667e5", "812e-8", "-6266699999.99999187979847193"),
    ("401414639.60403704643249511719", "381e8", "38501414639.60403704643249512"),
    ("85892938017281.95", "-485e3", "85892937532281.9499969482421875"),
    ("996434499437023.4", "638e10", "1002814499437023.4000244140625"),
    ("-4221.418790676746", "-113e-10", "-4221.41879068804600017"),
    ("-29473e-25", "-932e-13", "-0.0000000000932"),
    ("764083379.4664323", "646e9", "646764083379.46643227338790894"),
    ("-47613e-9", "419e9", "418999999999.99995237588882446"),
    ("34026e24", "693e9", "34026000000000000692932575232"),
    ("46234e17", "859e-20", "4623400000000000000000"),
    ("-16990e4", "878e-16", "-169900000"),
    ("80705e20", "608e10", "8070500000006080000163840"),
    ("18731e-14", "981e5", "98100000.0000000001891749"),
    ("-4.170750170740822e-18", "329e-5", "0.00329"),
]


def incrbyfloat(value: str, increment: str) -> str:
    a = parse_long_double(value.encode())
    b = parse_long_double(increment.encode())
    assert isinstance(a, Fraction) and isinstance(b, Fraction)
    total = round_long_double(a + b)
    assert total is not None
    return format_long_double_human(total).decode()


@pytest.mark.parametrize("value, increment, expected", RECORDED)
def test_incrbyfloat_matches_recorded_redis(value, increment, expected):
    assert incrbyfloat(value, increment) == expected


@pytest.mark.parametrize(
    "text",
    [b"", b" 1", b"\t1", b"1 ", b"1e", b"1e+", b".", b"e5", b"0x", b"0xg", b"1..2", b"--1", b"+-1", b"nan", b"NaN",
     b"nan(123)", b"1e5000", b"-1e5000", b"1e-5000", b"0x1p99999", b"1\x00", b"infinit", b"1_000", b"1" * 5119,
     b"0." + b"1" * 5118],
    ids=lambda v: repr(v)[:40],
)  # fmt: skip
def test_parse_long_double_refuses(text):
    assert parse_long_double(text) is None


@pytest.mark.parametrize(
    "text, value",
    [
        (b"0", Fraction(0)),
        (b"-0", Fraction(0)),
        (b"+1.5", Fraction(3, 2)),
        (b"1.", Fraction(1)),
        (b".25", Fraction(1, 4)),
        (b"1E3", Fraction(1000)),
        (b"0x10", Fraction(16)),
        (b"0X.8P1", Fraction(1)),
        (b"0x1p-3", Fraction(1, 8)),
        (b"00012", Fraction(12)),
        (b"0" * 5000 + b"1", Fraction(1)),
        (b"9223372036854775807", Fraction(9223372036854775807)),  # 63 bits: exact in a 64-bit mantissa
        (b"36893488147419103231", Fraction(2**65)),  # 2**65 - 1 needs 65 bits: rounds up
        (b"0." + b"3" * 5000, None),  # long, but under 5120 characters: accepted, checked below
    ],
    ids=lambda v: repr(v)[:40],
)
def test_parse_long_double_values(text, value):
    got = parse_long_double(text)
    if value is None:
        assert isinstance(got, Fraction) and got > 0
    else:
        assert got == value


def test_parse_long_double_infinity_and_denormals():
    assert parse_long_double(b"inf") == float("inf")
    assert parse_long_double(b"-Infinity") == float("-inf")
    tiny = parse_long_double(b"4e-4951")  # below the smallest normal: a denormal, still accepted
    assert tiny == Fraction(1, 2**16445)
    assert parse_long_double(b"1.8e-4951") is None  # rounds to zero: ERANGE
    assert parse_long_double(b"1.18973149535723176503e+4932") is not None  # rounds down to the largest
    assert parse_long_double(b"1.2e4932") is None  # rounds to infinity


def test_round_long_double_ties_to_even():
    one = Fraction(1)
    ulp = Fraction(1, 2**63)
    assert round_long_double(one + ulp / 2) == one
    assert round_long_double(one + ulp + ulp / 2) == one + 2 * ulp
    assert round_long_double(-(one + ulp / 2)) == -one
    assert round_long_double(Fraction(2**64 + 1)) == 2**64
    assert round_long_double(Fraction(2**64 + 3)) == 2**64 + 4
    assert round_long_double(Fraction(2**16384)) is None


def test_format_long_double_human():
    assert format_long_double_human(Fraction(0)) == b"0"
    assert format_long_double_human(Fraction(-1, 10**18)) == b"0"  # "-0.00000000000000000" prints as 0
    assert format_long_double_human(Fraction(-1, 10**17)) == b"-0.00000000000000001"
    assert format_long_double_human(Fraction(5, 10**18)) == b"0"  # a tie, to even
    assert format_long_double_human(Fraction(15, 10**18)) == b"0.00000000000000002"
    assert format_long_double_human(Fraction(1, 2**18)) == b"0.00000381469726562"
    assert format_long_double_human(Fraction(-52, 10)) == b"-5.2"
    assert format_long_double_human(Fraction(10**5000)) == b"1" + b"0" * 5000


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_double_is_a_long_double(x):
    assert round_long_double(Fraction(x)) == Fraction(x)


@given(st.integers(min_value=-(2**64), max_value=2**64))
def test_integers_up_to_64_bits_survive(n):
    assert round_long_double(Fraction(n)) == n
    assert format_long_double_human(Fraction(n)) == b"%d" % n


@given(st.decimals(allow_nan=False, allow_infinity=False, places=17, min_value=-(10**12), max_value=10**12))
def test_short_decimals_print_back(d):
    # 12 integer digits + 17 decimals fit the 64-bit mantissa's ~19.3 digits only for small values, so this
    # checks the weaker promise: parsing, rounding and printing never moves the value by more than 1e-17
    # beyond what the rounding to 64 bits itself allows.
    text = str(d).encode()
    v = parse_long_double(text)
    assert isinstance(v, Fraction)
    printed = Fraction(format_long_double_human(v).decode())
    exact = Fraction(str(d))
    assert abs(printed - exact) <= Fraction(1, 2 * 10**17) + abs(exact) / 2**63
