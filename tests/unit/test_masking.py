from flows.masking import mask_national_code, mask_phone


def test_phone_keeps_country_operator_and_last_three_digits():
    assert mask_phone("+989121234567") == "+98912****567"


def test_too_short_phone_is_hidden_entirely():
    assert mask_phone("+98912") == "******"


def test_national_code_shows_only_last_three_digits():
    assert mask_national_code("0499370899") == "*******899"


def test_tiny_national_code_is_hidden_entirely():
    assert mask_national_code("123") == "***"
    assert mask_national_code("") == ""
