"""Prices with a quantity discount; its tests live in tests/test_pricing.py."""


def discount_rate(quantity):
    """10% off from 10 items, 20% off from 100 items."""
    if quantity > 100:
        return 0.2
    if quantity >= 10:
        return 0.1
    return 0.0


def total_price(unit_price, quantity):
    rate = discount_rate(quantity)
    return round(unit_price * quantity * (1 - rate), 2)
