from pricing import discount_rate, total_price


def test_no_discount_below_ten():
    assert total_price(2.0, 3) == 6.0


def test_ten_percent_from_ten():
    assert discount_rate(10) == 0.1


def test_twenty_percent_from_a_hundred():
    assert discount_rate(100) == 0.2


def test_total_with_big_discount():
    assert total_price(1.0, 200) == 160.0
