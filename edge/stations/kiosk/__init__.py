"""The station's local kiosk page: shows the sorter what the station is doing (weight, phase, categories, keys).

``screen_state`` holds the screen model (the page's JSON) and is cheap to import; ``server`` pulls in FastAPI and
uvicorn, so the agent imports it only when the kiosk is switched on.
"""
