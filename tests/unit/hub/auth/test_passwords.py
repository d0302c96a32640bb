from __future__ import annotations

import pytest

from hub.auth.passwords import MAX_LENGTH, MIN_LENGTH, PasswordError, Passwords, check_new_password
from tests.unit.hub.auth.conftest import cheap


def test_hashes_are_argon2id_salted_and_verify() -> None:
    passwords = cheap()
    first, second = passwords.hash("correct horse"), passwords.hash("correct horse")
    assert first.startswith("$argon2id$") and first != second  # a fresh salt each time
    assert passwords.verify_and_update("correct horse", first) == (True, None)
    assert passwords.verify_and_update("correct hors", first) == (False, None)


def test_the_default_parameters_are_rfc_9106s_second_choice() -> None:
    assert "$m=65536,t=3,p=4$" in Passwords().hash("correct horse")


def test_a_hash_with_older_parameters_is_replaced_on_a_right_password() -> None:
    old = cheap(time_cost=1).hash("correct horse")
    current = cheap(time_cost=2)
    ok, new_hash = current.verify_and_update("correct horse", old)
    assert ok and new_hash is not None and ",t=2," in new_hash
    assert current.verify_and_update("correct horse", new_hash) == (True, None)
    assert current.verify_and_update("wrong", old) == (False, None)  # no new hash for a wrong password


def test_new_passwords_need_a_minimum_length_and_have_a_maximum() -> None:
    assert check_new_password("x" * MIN_LENGTH) == "x" * MIN_LENGTH
    with pytest.raises(PasswordError, match=f"at least {MIN_LENGTH}"):
        check_new_password("x" * (MIN_LENGTH - 1))
    with pytest.raises(PasswordError, match="at most"):
        check_new_password("x" * (MAX_LENGTH + 1))


def test_an_overlong_guess_is_refused_without_hashing_it() -> None:
    passwords = cheap()
    stored = passwords.hash("x" * MAX_LENGTH)
    assert passwords.verify_and_update("x" * MAX_LENGTH + "y", stored) == (False, None)
