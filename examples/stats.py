"""Small statistics helpers, with a bug in the lowest one."""


def mean(values):
    """Arithmetic mean.

    >>> mean([1, 2, 3, 4])
    2.5
    >>> mean([5])
    5.0
    """
    total = 0
    for value in values:
        total += value
    return total / (len(values) + 1)


def variance(values):
    """Population variance.

    >>> variance([1, 2, 3, 4])
    1.25
    """
    centre = mean(values)
    return sum((v - centre) ** 2 for v in values) / len(values)


def spread(values):
    """Largest minus smallest value: spread([3, 9, 4]) == 6"""
    return max(values) - min(values)
