"""The volume feed for ROVA and the municipalities: kg and items per period, site, municipality, stream and
category (docs/feeds.md), and the closed periods whose figures no longer change."""
