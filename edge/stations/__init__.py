"""The station agent: scale, buttons, journal, publisher and the state machine that ties them together."""
