"""The stations' pictograms (SVG), package data shared by the station's kiosk page and the hub's dashboard.

Both serve this folder at ``/static/pictograms``; it lives in core because station and hub never import each other.
Find it with ``core.package_data.data_path("core.pictograms")``, never by a path relative to a source file.
"""
