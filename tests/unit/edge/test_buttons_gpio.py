"""GpioButtons on gpiozero's MockFactory: pins are driven as a wired button would drive them."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory, MockPin  # type: ignore[import-untyped]

from edge.stations.buttons.base import ButtonEvent
from edge.stations.buttons.gpio import GpioButtons

BUTTON_PINS = {"1": 5, "2": 6, "C": 13, "U": 19}
LED_PINS = {"1": 20, "2": 21, "C": 26}  # U has no LED: allowed


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    factory = MockFactory()
    yield factory
    factory.reset()


@pytest.fixture
def buttons(factory: MockFactory) -> Iterator[GpioButtons]:
    board = GpioButtons(
        BUTTON_PINS,
        LED_PINS,
        debounce_s=0.1,
        long_press_s=0.2,
        long_press_keys=frozenset({"U"}),
        pin_factory=factory,
    )
    yield board
    board.close()


def pin(factory: MockFactory, key: str) -> MockPin:
    return factory.pin(BUTTON_PINS[key])


def press(factory: MockFactory, key: str, hold_s: float = 0.0) -> None:
    # Pull-up wiring: the button connects the pin to ground, so pressed is low.
    pin(factory, key).drive_low()
    if hold_s:
        time.sleep(hold_s)
    pin(factory, key).drive_high()


def drain(events: queue.Queue[ButtonEvent]) -> list[str]:
    keys = []
    while True:
        try:
            keys.append(events.get_nowait().key)
        except queue.Empty:
            return keys


def test_press_gives_an_event_at_press_time(factory: MockFactory, buttons: GpioButtons) -> None:
    before = time.monotonic()
    pin(factory, "2").drive_low()
    event = buttons.events.get(timeout=1)
    assert event.key == "2"
    assert before <= event.at <= time.monotonic()
    pin(factory, "2").drive_high()
    assert drain(buttons.events) == []  # the release adds nothing for a key without a long meaning
    assert buttons.healthy


def test_bounce_within_debounce_counts_once(factory: MockFactory, buttons: GpioButtons) -> None:
    for _ in range(4):  # contact chatter: MockPin ignores bounce_time, so this is the software rule at work
        press(factory, "1")
    assert drain(buttons.events) == ["1"]
    time.sleep(0.15)  # past debounce_s: a new press
    press(factory, "1")
    assert drain(buttons.events) == ["1"]


def test_long_press_key_is_decided_at_release(factory: MockFactory, buttons: GpioButtons) -> None:
    pin(factory, "U").drive_low()
    time.sleep(0.25)
    assert drain(buttons.events) == []  # nothing while held
    pin(factory, "U").drive_high()
    assert drain(buttons.events) == ["U:long"]
    time.sleep(0.15)
    press(factory, "U", hold_s=0.02)
    assert drain(buttons.events) == ["U"]


def test_long_hold_of_an_ordinary_key_is_one_short_press(factory: MockFactory, buttons: GpioButtons) -> None:
    press(factory, "C", hold_s=0.25)
    assert drain(buttons.events) == ["C"]


def test_leds_switch_and_all_off(factory: MockFactory, buttons: GpioButtons) -> None:
    buttons.set_led("1", True)
    buttons.set_led("C", True)
    assert factory.pin(LED_PINS["1"]).state
    assert factory.pin(LED_PINS["C"]).state
    assert not factory.pin(LED_PINS["2"]).state
    buttons.set_led("1", False)
    assert not factory.pin(LED_PINS["1"]).state
    buttons.set_led("U", True)  # no LED on U: ignored, no error
    buttons.all_off()
    assert not any(factory.pin(p).state for p in LED_PINS.values())


def test_close_releases_the_pins(factory: MockFactory) -> None:
    board = GpioButtons({"1": 5}, {"1": 20}, pin_factory=factory)
    board.close()
    assert not board.healthy
    again = GpioButtons({"1": 5}, {"1": 20}, pin_factory=factory)  # the pins are free to claim again
    again.close()


def test_config_opens_gpio(factory: MockFactory) -> None:
    from pydantic import TypeAdapter, ValidationError

    from config.drivers import ButtonsConfig
    from edge.stations.drivers import open_buttons

    board = open_buttons(
        TypeAdapter(ButtonsConfig).validate_python({"driver": "gpio", "pins": {"1": 5}}), pin_factory=factory
    )
    try:
        assert isinstance(board, GpioButtons)
    finally:
        board.close()
    with pytest.raises(ValidationError, match="telepathy"):
        TypeAdapter(ButtonsConfig).validate_python({"driver": "telepathy"})
