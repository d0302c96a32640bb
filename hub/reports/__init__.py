"""Reports for ROVA and the municipalities (BKN, UPV Textiel, CBS, CO2e) as CSV and printable HTML.

``build`` turns summed volumes and the reference data into tables (pure), ``render`` writes them, and
hub/api/reports.py serves them; docs/feeds.md, "Reports", defines each report."""
