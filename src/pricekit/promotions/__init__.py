"""Promotions: condition-based discount rules, cart evaluation, usage and lifecycle."""
