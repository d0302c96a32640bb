"""Reports for ROVA and the municipalities (BKN, UPV Textiel, CBS, CO2e) as CSV and printable HTML.

``volumes`` reads the summed volumes a report is built from, ``table`` is what a report holds (typed cells),
one module per report (``bkn``, ``upv_textiel``, ``cbs``, ``co2e``) builds its table (pure) with the shared
classification of ``classify``, ``build`` picks the report, ``meta`` is what the page says besides the table,
``render`` writes them, and hub/api/reports.py serves them; docs/feeds.md, "Reports", defines each report."""
