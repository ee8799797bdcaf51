"""Source texts shared by the LSP and editor tests."""

BUGGY = '''def is_sorted(xs):
    """
    >>> is_sorted([1, 2, 2, 3])
    True
    >>> is_sorted([3, 1])
    False
    >>> is_sorted([])
    True
    """
    for i in range(len(xs) - 1):
        if xs[i] >= xs[i + 1]:
            return False
    return True
'''
FIXED = BUGGY.replace(">=", ">")
