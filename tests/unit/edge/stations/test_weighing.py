from edge.stations.scales import Reading, ReadingStatus
from edge.stations.weighing import StableWeight


def feed(weigher: StableWeight, values: list[tuple[float, bool]], step: float = 0.1) -> list[bool]:
    return [weigher.update(Reading(v, flag), i * step).stable for i, (v, flag) in enumerate(values)]


def test_stable_needs_flag_band_and_duration() -> None:
    weigher = StableWeight(band_kg=0.005, stable_time_s=0.4, min_weight_kg=0.005)
    # The scale calls it stable at once, but the window must span 0.4 s first.
    assert feed(weigher, [(0.5, True)] * 6) == [False, False, False, False, True, True]


def test_swing_inside_window_is_not_stable() -> None:
    weigher = StableWeight(band_kg=0.005, stable_time_s=0.3, min_weight_kg=0.005)
    results = feed(weigher, [(0.50, True), (0.52, True), (0.50, True), (0.50, True), (0.50, True), (0.50, True)])
    assert results == [False, False, False, False, False, True]


def test_scale_flag_dynamic_is_not_stable() -> None:
    weigher = StableWeight(band_kg=0.005, stable_time_s=0.2, min_weight_kg=0.005)
    assert not any(feed(weigher, [(0.5, False)] * 6))


def test_loaded_and_overload() -> None:
    weigher = StableWeight(band_kg=0.005, stable_time_s=0.2, min_weight_kg=0.010)
    assert not weigher.update(Reading(0.004, True), 0).loaded
    assert weigher.update(Reading(0.011, True), 0.1).loaded
    over = weigher.update(Reading(0.0, False, ReadingStatus.OVERLOAD), 0.2)
    assert over.loaded and not over.stable
    assert weigher.update(Reading(0.0, False, ReadingStatus.BUSY), 0.3).loaded  # no news: still loaded
    assert not weigher.update(Reading(0.0, False, ReadingStatus.UNDERLOAD), 0.4).loaded
