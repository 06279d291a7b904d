"""``psychometrics._checks``: every data and option check, each branch by an input that takes it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from psychometrics._checks import (
    ItemMatrix,
    align,
    check_binary,
    check_choice,
    check_items,
    check_key_value,
    check_level,
    check_number,
    check_option,
    check_positive_int,
    check_seed,
    check_unique_ids,
    check_vector,
    identical_items,
    respondent_labels,
)
from psychometrics.errors import DataError, DuplicateIdError, OptionError

# --- item matrices ------------------------------------------------------------------------------

def test_check_items_returns_a_float_copy_with_labels():
    df = pd.DataFrame({"a": [1, 2, None], "b": ["3", "4", "5"], "c": [True, False, True]},
                      index=["r1", "r2", "r3"])
    m = check_items(df)
    assert isinstance(m, ItemMatrix) and (m.n, m.k) == (3, 3)
    assert m.columns == ["a", "b", "c"] and list(m.index) == ["r1", "r2", "r3"]
    assert np.isnan(m.values[2, 0]) and m.values[0, 1] == 3.0 and m.values[1, 2] == 0.0
    m.values[0, 0] = 99  # a copy: the caller's frame is untouched
    assert df.loc["r1", "a"] == 1
    pd.testing.assert_index_equal(m.frame().columns, pd.Index(["a", "b", "c"]))


def test_check_items_takes_arrays_and_series():
    assert check_items(np.array([1.0, 2.0, 3.0])).k == 1  # 1-D: one item
    assert check_items(np.ones((4, 2))).columns == ["item1", "item2"]
    assert check_items(pd.Series([1, 2], name="x")).columns == ["x"]
    with pytest.raises(DataError, match="2-D table"):
        check_items(np.ones((2, 2, 2)))


def test_check_items_listwise_keeps_complete_rows():
    m = check_items(pd.DataFrame({"a": [1, None, 3], "b": [1, 2, 3]}), listwise=True)
    assert m.n == 2 and list(m.index) == [0, 2]


@pytest.mark.parametrize("frame, kwargs, message", [
    (pd.DataFrame([[1, 2]], columns=["a", "a"]), {}, "duplicate column names"),
    (pd.DataFrame({"a": [1, 2]}), {"min_items": 2}, "at least 2 item"),
    (pd.DataFrame({"a": [None, None]}, dtype=float), {}, "at least 1 respondent"),
    (pd.DataFrame({"a": [1, "x"]}), {}, "non-numeric value 'x'"),
    (pd.DataFrame({"a": [1.0, np.inf]}), {}, "infinite value"),
])
def test_check_items_refuses(frame, kwargs, message):
    with pytest.raises(DataError, match=message):
        check_items(frame, **kwargs)


def test_check_items_of_no_columns():
    with pytest.raises(DataError, match="at least 1 item"):
        check_items(pd.DataFrame(index=[0, 1]))
    assert check_items(pd.DataFrame(index=[0, 1]), min_items=0, min_rows=0).k == 0


def test_identical_items_names_pairs_correlating_plus_or_minus_one():
    r = np.array([[1.0, 1.0, 0.2], [1.0, 1.0, -0.3], [0.2, -0.3, 1.0]])
    assert identical_items(r, ["a", "b", "c"]) == [("a", "b")]
    r[0, 2] = r[2, 0] = -1.0
    assert identical_items(r, ["a", "b", "c"]) == [("a", "b"), ("a", "c")]
    r[1, 2] = r[2, 1] = np.nan  # undefined correlations are not duplicates
    assert ("b", "c") not in identical_items(r, ["a", "b", "c"])


# --- vectors and criteria ------------------------------------------------------------------------

def test_check_vector():
    np.testing.assert_array_equal(check_vector([1, 2, 3]), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(check_vector(pd.DataFrame({"s": [1, 2]})), [1.0, 2.0])
    with pytest.raises(DataError, match="one column, got 2"):
        check_vector(pd.DataFrame({"a": [1], "b": [2]}))
    with pytest.raises(DataError, match="score: missing value at"):
        check_vector(pd.Series([1.0, None]), name="score")
    assert np.isnan(check_vector([1.0, np.nan], allow_nan=True)[1])


def test_check_binary():
    np.testing.assert_array_equal(check_binary([0, 1, 1]), [False, True, True])
    np.testing.assert_array_equal(check_binary(pd.Series(["a", "b"]), positive="b"), [False, True])
    with pytest.raises(DataError, match="missing value"):
        check_binary(pd.Series([0, None]))
    with pytest.raises(DataError, match="say which one is a case"):
        check_binary(["yes", "no"])
    with pytest.raises(DataError, match="is not one of its levels"):
        check_binary(["yes", "no"], positive="maybe")
    with pytest.raises(DataError, match="two levels, got 3"):
        check_binary(["a", "b", "c"], positive="a")


# --- respondents ---------------------------------------------------------------------------------

def test_check_unique_ids():
    check_unique_ids(pd.Series(["a", "b"]))
    check_unique_ids(np.array([1, 2, 3]))
    check_unique_ids(["x", "y"])
    with pytest.raises(DuplicateIdError, match=r"duplicate respondent ids \['a'\] at rows \[1, 3\]"):
        check_unique_ids(pd.Series(["a", "b", "a"], index=[10, 11, 12]))
    with pytest.raises(DataError, match="missing respondent id at rows \\[2\\]"):
        check_unique_ids(["a", None])


def test_align_reorders_by_label_and_passes_none_through():
    a = pd.Series([1, 2, 3], index=["x", "y", "z"])
    b = pd.Series([30, 10, 20], index=["z", "x", "y"])
    out = align(a, None, b, a)
    assert out[1] is None and out[3] is a
    assert list(out[2]) == [10, 20, 30] and list(out[2].index) == ["x", "y", "z"]
    assert align(a, None) == [a, None]  # fewer than two inputs: nothing to match
    same = pd.Series([4, 5, 6], index=a.index)
    assert align(a, same)[1] is same


def test_align_names_respondents_that_differ():
    a = pd.Series([1, 2], index=["x", "y"])
    with pytest.raises(DataError, match="of scores not in criterion"):
        align(a, pd.Series([1, 2], index=["x", "q"]), names=["scores", "criterion"])
    more = pd.Series([1, 2, 3], index=["x", "y", "y"])  # the same labels, one twice
    with pytest.raises(DataError, match="2 vs 3 rows; duplicated index labels"):
        align(a, more)
    with pytest.raises(ValueError, match="one name per object"):
        align(a, a, names=["only one"])


def test_align_by_position():
    assert align([1, 2], np.array([3, 4]))[0] == [1, 2]
    with pytest.raises(DataError, match="input 1 has 2, input 2 has 3"):
        align([1, 2], [1, 2, 3])


# --- options -------------------------------------------------------------------------------------

def test_check_choice():
    assert check_choice("a", ("a", "b"), "method") == "a"
    with pytest.raises(OptionError, match="method must be one of 'a', 'b'; got 'c'") as e:
        check_choice("c", ("a", "b"), "method")
    assert (e.value.option, e.value.value) == ("method", "c")


@pytest.mark.parametrize("bad", ["x", None, 0, 1, 1.5, True])
def test_check_level_refuses(bad):
    with pytest.raises(OptionError, match="level"):
        check_level(bad)


def test_check_level_accepts():
    assert check_level(0.9) == 0.9 and check_level("0.95") == 0.95


def test_check_positive_int():
    assert check_positive_int(5, "n_boot") == 5
    assert check_positive_int(np.int64(3), "n_boot") == 3
    assert check_positive_int(4.0, "n_boot") == 4  # a whole float is a whole number
    assert check_positive_int(0, "n", minimum=0) == 0
    for bad in (True, 2.5, "3", 0):
        with pytest.raises(OptionError, match="n_boot must be a whole number >= 1"):
            check_positive_int(bad, "n_boot")


def test_check_number():
    assert check_number("2.5", "x") == 2.5 and check_number("7", "x", whole=True) == 7
    with pytest.raises(OptionError, match="x must be a whole number; got '7.5'"):
        check_number("7.5", "x", whole=True)
    with pytest.raises(OptionError, match="x must be a number; got None"):
        check_number(None, "x")
    with pytest.raises(OptionError, match="^my hint$") as e:
        check_number("a", "x", hint="my hint")
    assert e.value.option == "x" and e.value.value == "a"


def test_check_key_value():
    assert check_key_value("a=b=c", "items") == ("a", "b=c")
    assert check_key_value("a=", "items") == ("a", "")
    with pytest.raises(OptionError, match="items 'a': use KEY=VALUE"):
        check_key_value("a", "items")
    with pytest.raises(OptionError, match="^hint$"):
        check_key_value("=b", "norms", nonempty=True, hint="hint")
    with pytest.raises(OptionError):
        check_key_value("a= ", "norms", nonempty=True)


def test_check_option():
    check_option(True, "never raised", "x")
    with pytest.raises(OptionError, match="--scored needs --scale") as e:
        check_option(False, "--scored needs --scale", "scale", None)
    assert e.value.option == "scale"


def test_check_seed():
    g = np.random.default_rng(1)
    assert check_seed(g) is g and check_seed(None) is None
    assert check_seed(np.int32(7)) == 7 and type(check_seed(np.int32(7))) is int
    for bad in (-1, 1.0, "1", True):
        with pytest.raises(OptionError, match="seed must be a whole number >= 0"):
            check_seed(bad)


def test_respondent_labels_use_the_recorded_id_column_only():
    df = pd.DataFrame({"rid": ["a", "b"], "x": [1, 2]}, index=[10, 11])
    assert list(respondent_labels(df)) == [10, 11]          # no record: the index
    df.attrs["psychometrics"] = {"id": "rid"}
    assert list(respondent_labels(df)) == ["a", "b"]
    df.attrs["psychometrics"] = {"id": "gone"}               # recorded but no longer a column
    assert list(respondent_labels(df)) == [10, 11]
    twice = pd.concat([df[["rid"]], df[["rid"]]], axis=1)    # repeated name: not one value per row
    twice.attrs["psychometrics"] = {"id": "rid"}
    assert list(respondent_labels(twice)) == [10, 11]
    df.attrs["psychometrics"] = {"id": None}                 # score() without id=
    assert list(respondent_labels(df)) == [10, 11]


def test_check_items_numeric_block_equals_column_by_column():
    """The one-copy path for plain numeric frames gives what the per-column path gives."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.integers(0, 5, 50), "b": rng.normal(size=50),
                       "c": rng.integers(0, 3, 50).astype(np.int8)})
    df.loc[[3, 7], "b"] = np.nan
    fast = check_items(df, listwise=True)
    slow = check_items(df.astype({"a": "Int64"}), listwise=True)   # extension dtype: per column
    np.testing.assert_array_equal(fast.values, slow.values)
    assert list(fast.index) == list(slow.index) and len(fast.index) == 48
    fast.values[0, 0] = 99                                   # a copy: the caller's frame is untouched
    assert df.iloc[0, 0] != 99


def test_complex_columns_are_refused_not_truncated():
    df = pd.DataFrame({"a": [1 + 1j, 2], "b": [1, 2]})
    with pytest.raises(DataError, match="'a': complex"):
        check_items(df)
    with pytest.raises(DataError, match="'x': complex"):
        check_vector(pd.Series([1 + 2j, 3]), name="x")
