"""Deals: retail deal records from Dutchie and PTL, 4-tier matching, merging, queries."""
